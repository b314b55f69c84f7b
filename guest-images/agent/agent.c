/*
 * glassbox guest agent: runs commands for the host over a serial line.
 *
 * Framing and semantics are specified in PROTOCOL.md (same directory); keep
 * the two in step. Build: gcc -m32 -static -Os -o glassbox-agent agent.c
 *
 * Usage: glassbox-agent [DEVICE]   (default /dev/ttyS1; "-" = stdin/stdout,
 * which the host-side tests use to exercise the protocol without a VM).
 *
 * One process, one poll loop: the serial line, every running command's
 * stdin/stdout/stderr pipes (or its pty master, and a console socket an OCI
 * runtime hands a container's pty master to) and a signalfd for SIGCHLD. It
 * sleeps in poll() when nothing happens, so an idle guest stays idle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PROTO_VERSION 1
#define HDR 14             /* magic 4, type 1, flags 1, id 4, length 4 */
#define TRAILER 4          /* CRC-32 */
#define MAX_PAYLOAD 65536
#define CHUNK 4096         /* largest STDOUT/STDERR payload the agent sends */
#define MAX_JOBS 16
#define DRAIN_GRACE_MS 200 /* after the command exits: EXIT once output was quiet this long */
#define DRAIN_MAX_MS 30000 /* ... or at the latest this long after the exit */
#define STALL_MS 30000     /* an incomplete frame with no new byte for this long is dropped */
#define STDIN_WINDOW 65536 /* streamed stdin the host may have sent and not seen acknowledged */
#define FEATURES 3         /* HELLO_REPLY feature bits: 1 streamed stdin, 2 pty and console socket */

static const uint8_t MAGIC[4] = {0xF7, 'G', 'B', 'A'};

enum {
    T_HELLO = 0x01, T_EXEC = 0x10, T_SIGNAL = 0x11, T_STDIN = 0x12, T_RESIZE = 0x13,
    T_HELLO_REPLY = 0x80, T_STDOUT = 0x81, T_STDERR = 0x82, T_EXIT = 0x83, T_STDIN_ACK = 0x84, T_ERROR = 0x8F,
};
enum {
    E_BAD_CRC = 1, E_BAD_LENGTH = 2, E_UNKNOWN_TYPE = 3, E_MALFORMED = 4,
    E_DUPLICATE_ID = 5, E_BUSY = 6, E_SPAWN_FAILED = 7, E_UNKNOWN_ID = 8, E_STREAM_REFUSED = 9,
};
enum { X_STREAM = 1, X_PTY = 2, X_CONSOLE = 4 }; /* EXEC flags */

struct job {
    int used;
    uint32_t id, flags;
    pid_t pid;
    int in_fd, out_fd, err_fd; /* -1 when closed; with a pty: copies of its master, err_fd the console's */
    int pty_fd;                /* the pty master the agent made (X_PTY) */
    int con_fd, listen_fd;     /* the master a runtime handed over, and the console socket it came on */
    uint8_t *in_buf;           /* stdin bytes still to write */
    uint32_t in_len, in_off, in_cap;
    int in_eof;                /* no more stdin will come (always, unless streamed) */
    int in_dead;               /* the command closed its stdin */
    int64_t start_ms, deadline_ms, exit_ms; /* deadline 0 = none; exit_ms 0 = running */
    int64_t last_out_ms;                    /* when output was last forwarded */
    int status, timed_out;
    char sock_path[64];
};

static int tty_in = 0, tty_out = 1;
static struct job jobs[MAX_JOBS];
static uint32_t crc_table[256];
static uint8_t inbuf[HDR + MAX_PAYLOAD + TRAILER];
static size_t inlen;
static int64_t last_input_ms;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static uint32_t get32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w > 0) { p += w; n -= w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = {fd, POLLOUT, 0};
            poll(&pf, 1, -1);
            continue;
        }
        fprintf(stderr, "glassbox-agent: write to host failed: %s\n", strerror(errno));
        sleep(10); /* init respawns us: do not spin when the port does not work */
        exit(1);
    }
}

static void send_frame(uint8_t type, uint32_t id, const void *payload, uint32_t len)
{
    static uint8_t out[HDR + CHUNK + 256 + TRAILER];
    if (len > CHUNK + 256) len = CHUNK + 256;
    memcpy(out, MAGIC, 4);
    out[4] = type;
    out[5] = 0;
    put32(out + 6, id);
    put32(out + 10, len);
    if (len) memcpy(out + HDR, payload, len);
    put32(out + HDR + len, crc32(0, out + 4, HDR - 4 + len));
    write_all(tty_out, out, HDR + len + TRAILER);
}

static void send_error(uint32_t id, uint16_t code, const char *msg)
{
    uint8_t p[256];
    size_t m = strlen(msg);
    if (m > sizeof p - 4) m = sizeof p - 4;
    p[0] = code; p[1] = code >> 8; p[2] = 0; p[3] = 0;
    memcpy(p + 4, msg, m);
    send_frame(T_ERROR, id, p, 4 + m);
}

static void send_hello(uint32_t id)
{
    static const char name[] = "glassbox-agent";
    uint8_t p[12 + sizeof name - 1];
    p[0] = PROTO_VERSION; p[1] = 0; p[2] = FEATURES; p[3] = 0;
    put32(p + 4, MAX_PAYLOAD);
    put32(p + 8, MAX_JOBS);
    memcpy(p + 12, name, sizeof name - 1);
    send_frame(T_HELLO_REPLY, id, p, sizeof p);
}

static struct job *find_job(uint32_t id)
{
    for (int i = 0; i < MAX_JOBS; i++)
        if (jobs[i].used && jobs[i].id == id) return &jobs[i];
    return NULL;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* A pty master with the given window size; its slave's path in `slave`. */
static int open_pty(uint16_t rows, uint16_t cols, char *slave, size_t n)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -1;
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    if (grantpt(m) || unlockpt(m) || ptsname_r(m, slave, n) || ioctl(m, TIOCSWINSZ, &ws)) {
        close(m);
        return -1;
    }
    fcntl(m, F_SETFL, O_NONBLOCK);
    return m;
}

/* A listening socket at `path` for an OCI runtime's --console-socket. */
static int console_socket(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_ack(struct job *j, uint32_t n)
{
    uint8_t p[4];
    if (!n || !(j->flags & X_STREAM)) return;
    put32(p, n);
    send_frame(T_STDIN_ACK, j->id, p, sizeof p);
}

/* Writes what the command can take; streamed stdin is acknowledged as it goes. */
static void pump_input(struct job *j)
{
    uint32_t done = 0;
    while (j->in_fd >= 0 && j->in_off < j->in_len) {
        ssize_t w = write(j->in_fd, j->in_buf + j->in_off, j->in_len - j->in_off);
        if (w > 0) { j->in_off += w; done += w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) break;
        /* EPIPE/EIO: the command closed stdin; what it will never read counts as taken */
        done += j->in_len - j->in_off;
        j->in_off = j->in_len;
        j->in_dead = 1;
        close_fd(&j->in_fd);
    }
    send_ack(j, done);
    if (j->in_off == j->in_len) {
        j->in_off = j->in_len = 0;
        if (j->in_eof) close_fd(&j->in_fd);
    }
}

static void start_exec(uint32_t id, const uint8_t *p, uint32_t len)
{
    if (len < 12) { send_error(id, E_MALFORMED, "EXEC payload shorter than 12 bytes"); return; }
    uint32_t timeout = get32(p), flags = get32(p + 4), cmd_len = get32(p + 8);
    if (flags & ~(uint32_t)(X_STREAM | X_PTY | X_CONSOLE)) { send_error(id, E_MALFORMED, "EXEC flags has unknown bits"); return; }
    if ((flags & X_CONSOLE) && !(flags & X_PTY)) { send_error(id, E_MALFORMED, "EXEC console socket without a pty"); return; }
    if (flags & X_PTY) flags |= X_STREAM;
    if (cmd_len > len - 12) { send_error(id, E_MALFORMED, "EXEC command length exceeds payload"); return; }
    if (cmd_len == 0 || memchr(p + 12, 0, cmd_len)) {
        send_error(id, E_MALFORMED, "EXEC command empty or contains NUL");
        return;
    }
    uint32_t in_at = 12 + cmd_len;
    uint16_t rows = 0, cols = 0;
    if (flags & X_PTY) {
        if (len - in_at < 4) { send_error(id, E_MALFORMED, "EXEC with a pty lacks the window size"); return; }
        rows = p[in_at] | p[in_at + 1] << 8;
        cols = p[in_at + 2] | p[in_at + 3] << 8;
        in_at += 4;
    }
    if (find_job(id)) { send_error(id, E_DUPLICATE_ID, "request id already running"); return; }
    struct job *j = NULL;
    for (int i = 0; i < MAX_JOBS && !j; i++)
        if (!jobs[i].used) j = &jobs[i];
    if (!j) { send_error(id, E_BUSY, "too many running commands"); return; }

    struct job n = {.used = 1, .id = id, .flags = flags, .in_fd = -1, .out_fd = -1, .err_fd = -1,
                    .pty_fd = -1, .con_fd = -1, .listen_fd = -1, .in_eof = !(flags & X_STREAM)};
    char *cmd = malloc(cmd_len + 1);
    n.in_len = n.in_cap = len - in_at;
    n.in_buf = n.in_len ? malloc(n.in_len) : NULL;
    char slave[64];
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    if (!cmd || (n.in_len && !n.in_buf)) goto spawn_failed;
    if (flags & X_PTY) {
        if ((n.pty_fd = open_pty(rows, cols, slave, sizeof slave)) < 0) goto spawn_failed;
        if (flags & X_CONSOLE) {
            snprintf(n.sock_path, sizeof n.sock_path, "/tmp/glassbox-console-%d-%u.sock", (int)getpid(), id);
            if ((n.listen_fd = console_socket(n.sock_path)) < 0) goto spawn_failed;
        }
    } else if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
        goto spawn_failed;
    }
    memcpy(cmd, p + 12, cmd_len);
    cmd[cmd_len] = 0;
    if (n.in_len) memcpy(n.in_buf, p + in_at, n.in_len);

    pid_t pid = fork();
    if (pid < 0) goto spawn_failed;
    if (pid == 0) {
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        setsid();
        if (flags & X_PTY) {
            /* the session leader opening a tty makes it its controlling terminal */
            int t = open(slave, O_RDWR);
            if (t < 0 || ioctl(t, TIOCSCTTY, 0) < 0) _exit(127);
            in[0] = out[1] = err[1] = t;
            if (flags & X_CONSOLE) setenv("GLASSBOX_CONSOLE_SOCKET", n.sock_path, 1);
        }
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        if (in[0] > 2) close(in[0]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    free(cmd);
    if (flags & X_PTY) {
        n.out_fd = fcntl(n.pty_fd, F_DUPFD_CLOEXEC, 3);
        /* with a console socket, input waits for the terminal the runtime hands over */
        if (!(flags & X_CONSOLE)) n.in_fd = fcntl(n.pty_fd, F_DUPFD_CLOEXEC, 3);
    } else {
        close(in[0]); close(out[1]); close(err[1]);
        n.in_fd = in[1];
        n.out_fd = out[0];
        n.err_fd = err[0];
        fcntl(in[1], F_SETFL, O_NONBLOCK);
        fcntl(out[0], F_SETFL, O_NONBLOCK);
        fcntl(err[0], F_SETFL, O_NONBLOCK);
    }
    n.pid = pid;
    n.start_ms = now_ms();
    n.deadline_ms = timeout ? n.start_ms + timeout : 0;
    *j = n;
    pump_input(j);
    return;
spawn_failed:
    send_error(id, E_SPAWN_FAILED, strerror(errno));
    free(cmd);
    free(n.in_buf);
    for (int k = 0; k < 2; k++) {
        if (in[k] >= 0) close(in[k]);
        if (out[k] >= 0) close(out[k]);
        if (err[k] >= 0) close(err[k]);
    }
    if (n.pty_fd >= 0) close(n.pty_fd);
    if (n.listen_fd >= 0) { close(n.listen_fd); unlink(n.sock_path); }
}

static void stdin_frame(uint32_t id, const uint8_t *p, uint32_t len)
{
    struct job *j = find_job(id);
    if (!j) { send_error(id, E_UNKNOWN_ID, "no running command with this id"); return; }
    if (!(j->flags & X_STREAM)) { send_error(id, E_STREAM_REFUSED, "command was not started with streamed stdin"); return; }
    if (j->in_eof) { send_error(id, E_STREAM_REFUSED, "stdin already ended"); return; }
    if (j->in_dead || j->exit_ms) { send_ack(j, len); return; } /* nobody will read it */
    if (!len) { j->in_eof = 1; pump_input(j); return; }
    uint32_t pending = j->in_len - j->in_off;
    if (pending + len > STDIN_WINDOW) { send_error(id, E_STREAM_REFUSED, "more than 65536 bytes of stdin unacknowledged"); return; }
    if (j->in_off) {
        memmove(j->in_buf, j->in_buf + j->in_off, pending);
        j->in_off = 0;
        j->in_len = pending;
    }
    if (j->in_len + len > j->in_cap) {
        uint8_t *b = realloc(j->in_buf, STDIN_WINDOW);
        if (!b) { send_error(id, E_STREAM_REFUSED, "out of memory"); return; }
        j->in_buf = b;
        j->in_cap = STDIN_WINDOW;
    }
    memcpy(j->in_buf + j->in_len, p, len);
    j->in_len += len;
    pump_input(j);
}

static void resize_frame(uint32_t id, const uint8_t *p, uint32_t len)
{
    struct job *j = find_job(id);
    if (!j) { send_error(id, E_UNKNOWN_ID, "no running command with this id"); return; }
    if (!(j->flags & X_PTY) || len != 4) { send_error(id, E_STREAM_REFUSED, "RESIZE needs a command with a pty and 4 bytes"); return; }
    /* the kernel sends SIGWINCH to the terminal's foreground process group */
    struct winsize ws = {.ws_row = p[0] | p[1] << 8, .ws_col = p[2] | p[3] << 8};
    ioctl(j->pty_fd, TIOCSWINSZ, &ws);
    if (j->con_fd >= 0) ioctl(j->con_fd, TIOCSWINSZ, &ws);
}

/* The runtime connected to the console socket: take the pty master it passes (SCM_RIGHTS) as the command's terminal. */
static void accept_console(struct job *j)
{
    int c = accept4(j->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) return;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char byte, ctl[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    ssize_t r = recvmsg(c, &m, MSG_CMSG_CLOEXEC);
    close(c);
    struct cmsghdr *h = r < 0 ? NULL : CMSG_FIRSTHDR(&m);
    if (!h || h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) return;
    int fd;
    memcpy(&fd, CMSG_DATA(h), sizeof fd);
    j->con_fd = fd;
    close_fd(&j->listen_fd);
    unlink(j->sock_path);
    /* the size the host asked for so far, in case the runtime set none */
    struct winsize ws;
    if (ioctl(j->pty_fd, TIOCGWINSZ, &ws) == 0) ioctl(fd, TIOCSWINSZ, &ws);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    j->err_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (!j->in_eof || j->in_len) j->in_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    pump_input(j);
}

static void handle_frame(uint8_t type, uint32_t id, const uint8_t *p, uint32_t len)
{
    switch (type) {
    case T_HELLO:
        send_hello(id);
        break;
    case T_EXEC:
        start_exec(id, p, len);
        break;
    case T_STDIN:
        stdin_frame(id, p, len);
        break;
    case T_RESIZE:
        resize_frame(id, p, len);
        break;
    case T_SIGNAL: {
        struct job *j = find_job(id);
        if (len != 4) { send_error(id, E_MALFORMED, "SIGNAL payload must be 4 bytes"); break; }
        if (!j || j->exit_ms) { send_error(id, E_UNKNOWN_ID, "no running command with this id"); break; }
        int sig = (int)get32(p);
        if (kill(-j->pid, sig) < 0 && kill(j->pid, sig) < 0)
            send_error(id, E_MALFORMED, strerror(errno));
        break;
    }
    default:
        send_error(id, E_UNKNOWN_TYPE, "unknown frame type");
    }
}

/* Parse every complete frame in inbuf; bytes before a magic are dropped. */
static void parse_input(void)
{
    size_t pos = 0;
    for (;;) {
        /* find the magic, or a prefix of it at the very end */
        while (pos < inlen) {
            size_t n = inlen - pos < 4 ? inlen - pos : 4;
            if (memcmp(inbuf + pos, MAGIC, n) == 0) break;
            pos++;
        }
        if (inlen - pos < HDR) break;
        const uint8_t *f = inbuf + pos;
        uint8_t type = f[4];
        uint32_t id = get32(f + 6), len = get32(f + 10);
        if (len > MAX_PAYLOAD) {
            send_error(id, E_BAD_LENGTH, "payload length above maximum");
            pos++;
            continue;
        }
        if (inlen - pos < HDR + len + TRAILER) break;
        if (crc32(0, f + 4, HDR - 4 + len) != get32(f + HDR + len)) {
            send_error(id, E_BAD_CRC, "CRC mismatch");
            pos++;
            continue;
        }
        handle_frame(type, id, f + HDR, len);
        pos += HDR + len + TRAILER;
    }
    memmove(inbuf, inbuf + pos, inlen - pos);
    inlen -= pos;
}

static void pump_output(struct job *j, int *fd, uint8_t type)
{
    uint8_t buf[CHUNK];
    for (int rounds = 0; rounds < 16 && *fd >= 0; rounds++) {
        ssize_t r = read(*fd, buf, sizeof buf);
        if (r > 0) {
            send_frame(type, j->id, buf, r);
            j->last_out_ms = now_ms(); /* after the (possibly slow) write */
            continue;
        }
        if (r < 0 && (errno == EINTR)) continue;
        if (r < 0 && errno == EAGAIN) return;
        close_fd(fd); /* EOF or error */
    }
}

static void finish_job(struct job *j)
{
    uint8_t p[16];
    int st = j->status;
    int32_t code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    uint32_t sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    uint32_t flags = (j->timed_out ? 1 : 0) | (WIFSIGNALED(st) && WCOREDUMP(st) ? 2 : 0);
    put32(p, (uint32_t)code);
    put32(p + 4, sig);
    put32(p + 8, flags);
    put32(p + 12, (uint32_t)(j->exit_ms - j->start_ms));
    close_fd(&j->in_fd);
    close_fd(&j->out_fd);
    close_fd(&j->err_fd);
    close_fd(&j->pty_fd);
    close_fd(&j->con_fd);
    if (j->listen_fd >= 0) {
        close_fd(&j->listen_fd);
        unlink(j->sock_path);
    }
    free(j->in_buf);
    send_frame(T_EXIT, j->id, p, sizeof p);
    memset(j, 0, sizeof *j);
}

static void reap(void)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (int i = 0; i < MAX_JOBS; i++) {
            struct job *j = &jobs[i];
            if (j->used && j->pid == pid && !j->exit_ms) {
                j->status = st;
                j->exit_ms = now_ms();
                if (j->exit_ms == 0) j->exit_ms = 1;
                if (j->last_out_ms < j->exit_ms) j->last_out_ms = j->exit_ms;
            }
        }
    }
}

static int open_tty(const char *dev)
{
    if (strcmp(dev, "-") == 0) return 0;
    int fd = open(dev, O_RDWR | O_NOCTTY);
    if (fd < 0) {
        fprintf(stderr, "glassbox-agent: %s: %s\n", dev, strerror(errno));
        sleep(10); /* init respawns us: do not spin when the port is missing */
        exit(1);
    }
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t); /* no echo, no CR/LF translation, 8 bits, no signals */
        t.c_cflag |= CLOCAL | CREAD;
        t.c_cflag &= ~(CRTSCTS | HUPCL);
        t.c_iflag &= ~(IXON | IXOFF | IXANY);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        cfsetispeed(&t, B115200);
        cfsetospeed(&t, B115200);
        tcsetattr(fd, TCSANOW, &t);
    }
    tcflush(fd, TCIFLUSH);
    tty_in = tty_out = fd;
    return fd;
}

int main(int argc, char **argv)
{
    const char *dev = argc > 1 ? argv[1] : "/dev/ttyS1";
    crc_init();
    open_tty(dev);
    /* commands get a known environment whatever started the agent */
    setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
    setenv("HOME", "/root", 1);
    if (chdir("/") < 0) perror("glassbox-agent: chdir /");
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) { perror("glassbox-agent: signalfd"); return 1; }
    fcntl(tty_in, F_SETFD, FD_CLOEXEC);
    if (tty_out != tty_in) fcntl(tty_out, F_SETFD, FD_CLOEXEC);

    send_hello(0);

    struct pollfd pf[2 + 4 * MAX_JOBS];
    struct job *owner[2 + 4 * MAX_JOBS];
    int which[2 + 4 * MAX_JOBS];
    for (;;) {
        int64_t now = now_ms(), wake = -1;
        int n = 0;
        pf[n].fd = tty_in; pf[n].events = POLLIN; n++;
        pf[n].fd = sfd; pf[n].events = POLLIN; n++;
        if (inlen) wake = last_input_ms + STALL_MS;
        for (int i = 0; i < MAX_JOBS; i++) {
            struct job *j = &jobs[i];
            if (!j->used) continue;
            if (j->exit_ms) {
                /* Output still buffered in the pipes is forwarded however slow
                 * the line is; only a background process holding them open
                 * without writing (or writing forever) is cut off. */
                int64_t quiet = j->last_out_ms + DRAIN_GRACE_MS, cap = j->exit_ms + DRAIN_MAX_MS;
                int64_t until = quiet < cap ? quiet : cap;
                if (j->out_fd < 0 && j->err_fd < 0) { finish_job(j); continue; }
                if (now >= until) { finish_job(j); continue; }
                if (wake < 0 || until < wake) wake = until;
            } else if (j->deadline_ms) {
                if (now >= j->deadline_ms) {
                    j->timed_out = 1;
                    j->deadline_ms = 0;
                    kill(-j->pid, SIGKILL);
                    kill(j->pid, SIGKILL);
                } else if (wake < 0 || j->deadline_ms < wake) {
                    wake = j->deadline_ms;
                }
            }
            int fds[4] = {j->in_off < j->in_len ? j->in_fd : -1, j->out_fd, j->err_fd, j->listen_fd};
            for (int k = 0; k < 4; k++) {
                if (fds[k] < 0) continue;
                pf[n].fd = fds[k];
                pf[n].events = k == 0 ? POLLOUT : POLLIN;
                owner[n] = j;
                which[n] = k;
                n++;
            }
        }
        int timeout = wake < 0 ? -1 : (wake > now ? (int)(wake - now) : 0);
        int r = poll(pf, n, timeout);
        if (r < 0) {
            if (errno == EINTR) continue;
            perror("glassbox-agent: poll");
            return 1;
        }
        if (pf[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == sizeof si) {}
            reap();
        }
        for (int i = 2; i < n; i++) {
            if (!pf[i].revents) continue;
            struct job *j = owner[i];
            if (!j->used) continue;
            if (which[i] == 0) pump_input(j);
            else if (which[i] == 1) pump_output(j, &j->out_fd, T_STDOUT);
            else if (which[i] == 2) pump_output(j, &j->err_fd, j->flags & X_PTY ? T_STDOUT : T_STDERR);
            else if (j->listen_fd >= 0) accept_console(j);
        }
        reap(); /* a job may have exited between signalfd reads */
        if (pf[0].revents & POLLIN) {
            ssize_t got = read(tty_in, inbuf + inlen, sizeof inbuf - inlen);
            if (got > 0) {
                inlen += got;
                last_input_ms = now_ms();
                parse_input();
            } else if (got == 0 && tty_in == 0) {
                return 0; /* stdin mode: host closed the stream */
            }
        } else if (pf[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
            if (tty_in == 0) return 0;
            sleep(1); /* a hung-up line: do not spin (CLOCAL should prevent it) */
        }
        if (inlen && now_ms() >= last_input_ms + STALL_MS) {
            /* an incomplete frame that never completed: skip its magic and rescan */
            memmove(inbuf, inbuf + 1, --inlen);
            parse_input();
        }
    }
}
