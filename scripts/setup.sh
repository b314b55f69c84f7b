#!/usr/bin/env bash
# Sets up a fresh Debian machine for glassbox: the Debian packages the tests
# and benchmarks use, then the npm dependencies (which build the core).
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc-multilib: the native oracle, the benchmark runner and the guest's probe
# programs are 32-bit programs.
# nasm: benchmark kernels. binutils: objdump, the disassembler's oracle.
# qemu-system-x86: the guest image is validated in qemu-system-i386.
# seabios: BIOS files v86 boots with in npm run bench:boot.
# cpio, xz-utils: unpacking and packing guest images.
# chromium: the browser page's test (test/web/page.test.ts) drives it headless.
# skopeo, umoci: real readers and writers of OCI and docker-archive images and
# their layers (whiteouts included), the image store's and the builder's oracles.
# docker-registry: the CNCF distribution server the registry tests push to and
# pull from on loopback ports; apache2-utils: htpasswd for its basic auth.
# acpica-tools: iasl, the ACPI reference implementation's disassembler, checks
# the ACPI tables the boot loader writes.
# e2fsprogs: the host's e2fsck and debugfs, the oracles for the guest's ext4 disks.
# dosfstools, mtools, syslinux: the BIOS boot test makes a bootable FAT disk
# image without mounting it (mkfs.fat, mcopy, syslinux --install), which
# SeaBIOS (package seabios) boots in glassbox and in QEMU.
packages=(gcc-multilib nasm binutils qemu-system-x86 seabios cpio xz-utils chromium skopeo umoci docker-registry apache2-utils e2fsprogs acpica-tools)
packages+=(dosfstools mtools syslinux)
# shellcheck: checks every guest script the host builds (test/containers/guest-scripts-lint.test.ts).
packages+=(shellcheck)
# tshark: Wireshark's dissectors check the frames the user-mode network writes
# (test/net/); curl fetches a published container port in the network tests;
# wrk is the load generator of npm run bench:net.
packages+=(tshark curl wrk)
# mmdebstrap: the i386 Debian image of test/containers/debian-userland.test.ts,
# made from Debian's packages without running them (this host may not run
# 32-bit programs); python3, sqlite3: the same programs on the host, the
# oracles for what they print in the container.
packages+=(mmdebstrap python3 sqlite3)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: please install these Debian packages (as root): ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

npm ci --no-fund --no-audit

# An unmodified Debian kernel, which the test suite boots on the emulated PC.
scripts/fetch-debian-kernel.sh >/dev/null
