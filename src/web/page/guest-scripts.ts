// Shell commands the page runs in the guest through its agent, kept in one
// place: what the panels read and what the tour does.

/** One line per user process (kernel threads have no exe): pid, command, then its pid, uts, mnt and net namespaces (tab-separated). */
export const LIST_PROCESSES = `for d in /proc/[0-9]*; do [ -n "$(readlink $d/exe)" ] || continue; l="\${d#/proc/}\t$(cat $d/comm)"; for n in pid uts mnt net; do l="$l\t$(readlink $d/ns/$n)"; done; printf '%s\\n' "$l"; done 2>/dev/null`;

/** One line per child cgroup of the root: name, memory.current, memory.max, OOM kills, process count. */
export const LIST_CGROUPS = `for c in /sys/fs/cgroup/*/; do [ -f $c/memory.current ] || continue; n=$(basename $c); printf '%s\\t%s\\t%s\\t%s\\t%s\\n' $n $(cat $c/memory.current $c/memory.max) $(sed -n 's/^oom_kill //p' $c/memory.events) $(wc -l < $c/cgroup.procs); done`;

/** Starts a detached command (the agent's exec returns at once: no output is kept open). */
export const detached = (command: string): string => `setsid sh -c '${command.replace(/'/g, `'\\''`)}' </dev/null >/dev/null 2>&1 &`;
