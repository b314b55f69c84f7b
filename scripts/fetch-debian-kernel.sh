#!/usr/bin/env bash
# Fetches Debian's unmodified linux-image-6.1.0-*-686-unsigned (i386) and
# unpacks its bzImage, its .config (config-*) and the modules of the PC
# devices the tests load (psmouse.ko into modules/) into build/debian-kernel/;
# with the argument 686-pae, the PAE flavour (which uses NX) into
# build/debian-kernel-686-pae/.
# Needs root and Debian's package archive (apt-get), as on the project's
# machines.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-686}
case "$flavour" in
  686) out=build/debian-kernel ;;
  686-pae) out=build/debian-kernel-686-pae ;;
  *) echo "fetch-debian-kernel: flavour must be 686 or 686-pae, got $flavour" >&2; exit 1 ;;
esac
if ls "$out"/vmlinuz-* "$out"/config-* "$out"/modules/psmouse.ko >/dev/null 2>&1; then ls "$out"/vmlinuz-* | head -1; exit 0; fi
mkdir -p "$out/deb"
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx i386; then
  dpkg --add-architecture i386
fi
apt-get update -qq >/dev/null 2>&1 || true
pkg=$(apt-cache search --names-only "^linux-image-6\.1\.0-[0-9]+-$flavour-unsigned\$" | awk '{print $1}' | sort -V | tail -1)
if [ -z "$pkg" ]; then echo "fetch-debian-kernel: no linux-image-6.1.0-*-$flavour-unsigned package in the archive" >&2; exit 1; fi
(cd "$out/deb" && apt-get download -qq "$pkg:i386" 2>/dev/null)
dpkg-deb -x "$out"/deb/*.deb "$out/root"
cp "$out"/root/boot/vmlinuz-* "$out"/root/boot/config-* "$out/"
mkdir -p "$out/modules"
cp "$out"/root/lib/modules/*/kernel/drivers/input/mouse/psmouse.ko "$out/modules/"
rm -rf "$out/deb" "$out/root"
ls "$out"/vmlinuz-* | head -1
