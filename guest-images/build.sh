#!/usr/bin/env bash
# Rebuild the glassbox guest images from Debian packages (`npm run images`).
#
#   bash guest-images/build.sh [STEP...]
#
# Steps (default: all, in this order): deps kernel agent oci initramfs sums.
# Step kunit (not in the default) builds the KUnit kernel into kunit/.
# Outputs go to guest-images/dist/ (committed); work files to
# guest-images/build/ (git-ignored; override with GLASSBOX_IMAGES_BUILD).
# Package versions come from guest-images/packages.lock; set
# GLASSBOX_UPDATE_PINS=1 to take the archive's current versions instead.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${GLASSBOX_IMAGES_BUILD:-$HERE/build}
DIST=${GLASSBOX_IMAGES_DIST:-$HERE/dist}
LOCK=$HERE/packages.lock
JOBS=${JOBS:-$(nproc)}

# Reproducibility: fixed clock, user, host, locale, umask.
export SOURCE_DATE_EPOCH=1704067200 # 2024-01-01 00:00:00 UTC
export KBUILD_BUILD_TIMESTAMP='Mon Jan  1 00:00:00 UTC 2024'
export KBUILD_BUILD_USER=glassbox KBUILD_BUILD_HOST=glassbox KBUILD_BUILD_VERSION=1
export TZ=UTC LC_ALL=C
umask 022

log() { printf '\033[1mimages:\033[0m %s\n' "$*" >&2; }
die() { printf 'images: error: %s\n' "$*" >&2; exit 1; }

HOST_PACKAGES=(bc bison flex make gcc binutils libc6-dev libelf-dev gzip xz-utils gcc-multilib qemu-user patch)

pins() { grep -E "^$1 " "$LOCK" | awk '{print $2" "$3}'; }

apt_ready=
apt_update_once() {
	[ -n "$apt_ready" ] && return
	apt_ready=1
	apt-get update -q >&2 || log "apt-get update reported errors (continuing with the lists it has)"
}

step_deps() {
	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		[ "$(id -u)" = 0 ] || die "needs i386 as a dpkg foreign architecture: run as root, or: dpkg --add-architecture i386 && apt-get update"
		dpkg --add-architecture i386
		apt_ready=
		apt_update_once
	fi
	local want=() p
	for p in "${HOST_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || want+=("$p"); done
	local src ver
	read -r src ver < <(pins source)
	if [ "$(dpkg-query -W -f='${Version}' "$src" 2>/dev/null)" != "$ver" ]; then
		if [ -n "${GLASSBOX_UPDATE_PINS:-}" ]; then want+=("$src"); else want+=("$src=$ver"); fi
	fi
	if [ ${#want[@]} -gt 0 ]; then
		[ "$(id -u)" = 0 ] || die "missing Debian packages (install them as root): ${want[*]}"
		log "apt-get install ${want[*]}"
		apt_update_once
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${want[@]}" >&2
	fi
	# guest packages: i386 .debs, downloaded (never installed on the host)
	mkdir -p "$BUILD/debs"
	local name deb
	while read -r name ver; do
		if [ -n "${GLASSBOX_UPDATE_PINS:-}" ]; then
			apt_update_once
			ver=$(apt-cache policy "$name:i386" | awk '/Candidate:/ {print $2}')
			[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate for $name:i386"
		fi
		deb=$(deb_path "$name" "$ver")
		if [ ! -s "$deb" ]; then
			log "download $name:i386=$ver"
			(cd "$BUILD/debs" && { apt-get download -q "$name:i386=$ver" 2>/dev/null || { apt_update_once; apt-get download -q "$name:i386=$ver"; }; }) >&2 ||
				die "cannot download $name:i386=$ver (gone from the archive? GLASSBOX_UPDATE_PINS=1 takes the current version)"
		fi
	done < <(pins guest)
	if [ -n "${GLASSBOX_UPDATE_PINS:-}" ]; then
		local tmp=$LOCK.new
		{
			grep -E '^#' "$LOCK"
			echo "source $src $(dpkg-query -W -f='${Version}' "$src")"
			while read -r name ver; do
				echo "guest $name $(apt-cache policy "$name:i386" | awk '/Candidate:/ {print $2}')"
			done < <(pins guest)
		} > "$tmp"
		mv "$tmp" "$LOCK"
	fi
}

# apt-get download names files with the epoch's colon escaped as %3a
deb_path() { echo "$BUILD/debs/${1}_${2//:/%3a}_i386.deb"; }

unpack_guest_debs() {
	rm -rf "$BUILD/pkgroot"
	mkdir -p "$BUILD/pkgroot"
	local name ver
	while read -r name ver; do
		dpkg-deb -x "$(deb_path "$name" "$ver")" "$BUILD/pkgroot"
	done < <(pins guest)
}

kernel_dir() { echo "$BUILD/linux-$(pins source | awk '{print $2}')"; }

# Unpack Debian's linux-source into $1 (once), configure it as tinyconfig
# plus the fragments $2..., and build bzImage. Extra sources for the tree
# are the caller's to add before this runs the build.
build_kernel() {
	local kdir=$1 frag
	shift
	log "configure $(basename "$kdir"): tinyconfig + $*"
	make -C "$kdir" -s ARCH=i386 tinyconfig >/dev/null
	for frag in "$@"; do
		(cd "$kdir" && scripts/kconfig/merge_config.sh -m .config "$HERE/$frag" >/dev/null)
	done
	make -C "$kdir" -s ARCH=i386 olddefconfig >/dev/null
	for frag in "$@"; do check_config "$kdir/.config" "$HERE/$frag"; done
	log "build bzImage (-j$JOBS)"
	make -C "$kdir" ARCH=i386 -j"$JOBS" bzImage >"$kdir.log" 2>&1 ||
		{ tail -30 "$kdir.log" >&2; die "kernel build failed (log: $kdir.log)"; }
}

unpack_kernel() {
	local kdir=$1
	if [ ! -f "$kdir/Makefile" ]; then
		log "unpack /usr/src/linux-source-6.1.tar.xz into $kdir"
		rm -rf "$kdir" "$kdir.tmp"
		mkdir -p "$kdir.tmp"
		tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$kdir.tmp" --strip-components=1
		mv "$kdir.tmp" "$kdir"
	fi
	patch_kernel "$kdir"
}

# glassbox's fixes to Debian's source (kernel/patches/*.patch, each says
# why in its own text), applied once: a tree that already has a patch
# (it reverses cleanly) is left as it is.
patch_kernel() {
	local kdir=$1 p
	for p in "$HERE"/kernel/patches/*.patch; do
		[ -e "$p" ] || continue
		if patch -d "$kdir" -p1 -R --dry-run -s -f <"$p" >/dev/null 2>&1; then continue; fi
		log "patch $(basename "$p")"
		patch -d "$kdir" -p1 -s -f <"$p" >&2 || die "$(basename "$p") does not apply to $(basename "$kdir")"
	done
}

step_kernel() {
	local kdir
	kdir=$(kernel_dir)
	unpack_kernel "$kdir"
	build_kernel "$kdir" kernel/glassbox.config
	# the kernel's own cpio writer, built with usr/ (initramfs support)
	[ -x "$kdir/usr/gen_init_cpio" ] || die "usr/gen_init_cpio was not built"
	mkdir -p "$DIST"
	cp "$kdir/arch/x86/boot/bzImage" "$DIST/bzImage"
	cp "$kdir/System.map" "$DIST/System.map"
	# the resolved config is committed next to the fragment (a build into
	# another GLASSBOX_IMAGES_DIST leaves the committed one alone)
	if [ -n "${GLASSBOX_IMAGES_DIST:-}" ]; then cp "$kdir/.config" "$BUILD/kernel.config"; else cp "$kdir/.config" "$HERE/kernel/config"; fi
}

# The KUnit kernel (not part of the default steps: it is for
# `glassbox kernel run --ktap` and its test): the guest kernel's config
# plus kunit/kunit.config, with glassbox's own suite built into lib/.
# A tree of its own, so the guest kernel's objects stay as they are.
step_kunit() {
	local kdir out=$HERE/kunit
	kdir=$(kernel_dir)-kunit
	unpack_kernel "$kdir"
	cp "$HERE/kunit/glassbox_kunit.c" "$kdir/lib/glassbox_kunit.c"
	grep -qxF 'obj-$(CONFIG_KUNIT) += glassbox_kunit.o' "$kdir/lib/Makefile" ||
		echo 'obj-$(CONFIG_KUNIT) += glassbox_kunit.o' >>"$kdir/lib/Makefile"
	build_kernel "$kdir" kernel/glassbox.config kunit/kunit.config
	cp "$kdir/arch/x86/boot/bzImage" "$out/bzImage"
	cp "$kdir/.config" "$out/config"
	(cd "$out" && sha256sum bzImage >SHA256SUMS)
}

# Every line of the fragment $2 must hold in the resolved config $1.
check_config() {
	local cfg=$1 fragment=$2 line opt bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*) grep -qxF "$line" "$cfg" || { log "config: wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$cfg" || echo unset)"; bad=1; } ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; ! grep -q "^$opt=" "$cfg" || { log "config: wanted $opt off"; bad=1; } ;;
		esac
	done < "$fragment"
	[ $bad = 0 ] || die "kernel config does not hold $fragment"
}

step_agent() {
	log "build glassbox-agent (gcc -m32 -static -Os)"
	mkdir -p "$BUILD/agent"
	gcc -m32 -static -Os -s -Wall -Wextra -Werror \
		-ffile-prefix-map="$HERE"=. -o "$BUILD/agent/glassbox-agent" "$HERE/agent/agent.c"
}

# Deterministic gzip'd tar of a directory.
det_tar_gz() { # SRCDIR OUT
	tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
		--format=gnu -C "$1" -cf - . | gzip -n -9 > "$2"
}

# busybox applet links for a root filesystem: ROOT
install_busybox() {
	local root=$1 bb=$BUILD/pkgroot/bin/busybox path
	mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
	cp "$bb" "$root/bin/busybox"
	# the list is compiled into busybox; ask the binary itself (i386, static),
	# through qemu-i386 on a host that cannot run i386 programs
	local run=()
	"$bb" true 2>/dev/null || run=(qemu-i386)
	"${run[@]}" "$bb" --list-full | sort | while read -r path; do
		[ "$path" = bin/busybox ] && continue
		[ -e "$root/$path" ] && continue
		case "$path" in
		bin/*) ln -s busybox "$root/$path" ;;
		sbin/*) ln -s ../bin/busybox "$root/$path" ;;
		usr/bin/* | usr/sbin/*) ln -s ../../bin/busybox "$root/$path" ;;
		esac
	done
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

step_oci() {
	unpack_guest_debs
	log "base OCI image: busybox"
	local r=$BUILD/oci-rootfs out=$DIST/oci/busybox
	rm -rf "$r" "$out"
	mkdir -p "$r"/{dev,proc,sys,tmp,root,etc,var,run,home}
	chmod 1777 "$r/tmp"
	install_busybox "$r"
	cp "$HERE/rootfs/etc/passwd" "$HERE/rootfs/etc/group" "$r/etc/"
	echo 'export PS1='"'"'\h:\w\$ '"'" > "$r/etc/profile"
	find "$r" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	mkdir -p "$out/blobs/sha256"
	local tmp=$BUILD/oci-tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
		--format=gnu -C "$r" -cf "$tmp/layer.tar" .
	local diff_id layer layer_size config config_size manifest manifest_size created=2024-01-01T00:00:00Z
	diff_id=$(sha256 "$tmp/layer.tar")
	gzip -n -9 < "$tmp/layer.tar" > "$tmp/layer.tar.gz"
	layer=$(sha256 "$tmp/layer.tar.gz")
	layer_size=$(stat -c %s "$tmp/layer.tar.gz")
	mv "$tmp/layer.tar.gz" "$out/blobs/sha256/$layer"
	local bbver
	bbver=$(pins guest | awk '$1=="busybox-static" {print $2}')
	printf '{"created":"%s","architecture":"386","os":"linux","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"glassbox guest-images/build.sh: Debian busybox-static:i386 %s"}]}' \
		"$created" "$diff_id" "$created" "$bbver" > "$tmp/config.json"
	config=$(sha256 "$tmp/config.json")
	config_size=$(stat -c %s "$tmp/config.json")
	mv "$tmp/config.json" "$out/blobs/sha256/$config"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}],"annotations":{"org.opencontainers.image.title":"glassbox busybox base","org.opencontainers.image.created":"%s"}}' \
		"$config" "$config_size" "$layer" "$layer_size" "$created" > "$tmp/manifest.json"
	manifest=$(sha256 "$tmp/manifest.json")
	manifest_size=$(stat -c %s "$tmp/manifest.json")
	mv "$tmp/manifest.json" "$out/blobs/sha256/$manifest"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"platform":{"architecture":"386","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' \
		"$manifest" "$manifest_size" > "$out/index.json"
	printf '{"imageLayoutVersion":"1.0.0"}' > "$out/oci-layout"
	rm -rf "$tmp"
}

# Copy an ELF's NEEDED libraries (recursively) from pkgroot into ROOT/lib/i386-linux-gnu.
copy_needed() { # ROOT ELF
	local root=$1 elf=$2 lib src
	for lib in $(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -e "$root/lib/i386-linux-gnu/$lib" ] && continue
		src=
		for d in lib/i386-linux-gnu usr/lib/i386-linux-gnu; do
			[ -e "$BUILD/pkgroot/$d/$lib" ] && src=$BUILD/pkgroot/$d/$lib && break
		done
		[ -n "$src" ] || die "library $lib (needed by $elf) is in none of the guest packages"
		cp -L "$src" "$root/lib/i386-linux-gnu/$lib"
		copy_needed "$root" "$root/lib/i386-linux-gnu/$lib"
	done
}

step_initramfs() {
	unpack_guest_debs
	[ -x "$BUILD/agent/glassbox-agent" ] || step_agent
	[ -d "$DIST/oci/busybox" ] || step_oci
	log "initramfs tree"
	local r=$BUILD/initramfs
	rm -rf "$r"
	mkdir -p "$r"/{dev,proc,sys,run,tmp,root,var/lib,newroot,lib/i386-linux-gnu,usr/share/glassbox/images}
	chmod 1777 "$r/tmp"
	chmod 0700 "$r/root"
	install_busybox "$r"
	cp -a "$HERE/rootfs/." "$r/"
	cp "$BUILD/agent/glassbox-agent" "$r/usr/sbin/glassbox-agent"
	cp "$BUILD/pkgroot/usr/bin/crun" "$r/usr/bin/crun"
	cp -L "$BUILD/pkgroot/lib/i386-linux-gnu/ld-linux.so.2" "$r/lib/i386-linux-gnu/ld-linux.so.2"
	ln -s i386-linux-gnu/ld-linux.so.2 "$r/lib/ld-linux.so.2"
	copy_needed "$r" "$r/usr/bin/crun"
	# the engine's disk is made and checked in the guest (mkfs.ext4, e2fsck);
	# nft sets up NAT for containers behind the bridge. The real tools replace
	# busybox's applets of the same names.
	local tool
	for tool in sbin/mke2fs sbin/e2fsck usr/sbin/nft; do
		rm -f "$r/$tool"
		cp "$BUILD/pkgroot/$tool" "$r/$tool"
		copy_needed "$r" "$r/$tool"
	done
	for tool in mkfs.ext4 mkfs.ext2; do rm -f "$r/sbin/$tool"; ln -s mke2fs "$r/sbin/$tool"; done
	for tool in fsck.ext4 fsck.ext2; do rm -f "$r/sbin/$tool"; ln -s e2fsck "$r/sbin/$tool"; done
	cp "$BUILD/pkgroot/etc/mke2fs.conf" "$r/etc/mke2fs.conf"
	# glibc dlopen()s libgcc_s for pthread cancellation and backtraces
	cp -L "$BUILD/pkgroot/lib/i386-linux-gnu/libgcc_s.so.1" "$r/lib/i386-linux-gnu/libgcc_s.so.1"
	cp -a "$DIST/oci/busybox" "$r/usr/share/glassbox/images/busybox"
	# licences travel with the binaries
	mkdir -p "$r/usr/share/doc"
	local name ver
	while read -r name ver; do
		[ -f "$BUILD/pkgroot/usr/share/doc/$name/copyright" ] &&
			mkdir -p "$r/usr/share/doc/$name" && cp "$BUILD/pkgroot/usr/share/doc/$name/copyright" "$r/usr/share/doc/$name/"
	done < <(pins guest)
	log "initramfs.cpio.gz (gen_init_cpio, sorted, mtime $SOURCE_DATE_EPOCH)"
	# gen_init_cpio takes regular files' mtimes from the files themselves
	find "$r" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	local list=$BUILD/initramfs.list path mode
	{
		echo "nod /dev/console 0600 0 0 c 5 1"
		(cd "$r" && find . -mindepth 1 | sed 's|^\./||' | sort) | while read -r path; do
			mode=$(stat -c %a "$r/$path")
			if [ -L "$r/$path" ]; then
				echo "slink /$path $(readlink "$r/$path") 777 0 0"
			elif [ -d "$r/$path" ]; then
				echo "dir /$path $mode 0 0"
			elif [ -f "$r/$path" ]; then
				echo "file /$path $r/$path $mode 0 0"
			fi
		done
	} > "$list"
	"$(kernel_dir)/usr/gen_init_cpio" -t "$SOURCE_DATE_EPOCH" "$list" | gzip -n -9 > "$DIST/initramfs.cpio.gz"
}

step_sums() {
	log "MANIFEST and SHA256SUMS"
	local name ver kdir
	kdir=$(kernel_dir)
	{
		echo "# glassbox guest images: what they were built from (written by build.sh)"
		echo "source-date-epoch $SOURCE_DATE_EPOCH"
		echo "kernel $(cat "$kdir/include/config/kernel.release" 2>/dev/null || echo unknown) from linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1)"
		echo "kernel-config guest-images/kernel/glassbox.config on top of tinyconfig (resolved: guest-images/kernel/config)"
		for name in "$HERE"/kernel/patches/*.patch; do
			[ -e "$name" ] && echo "kernel-patch guest-images/kernel/patches/$(basename "$name") sha256:$(sha256 "$name")"
		done
		for name in gcc-12 libc6-dev-i386 binutils cpio gzip; do
			echo "build-host $name $(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || echo missing)"
		done
		while read -r name ver; do
			echo "guest-deb $name:i386 $ver sha256:$(sha256 "$(deb_path "$name" "$ver")")"
		done < <(pins guest)
		echo "# artifacts: size in bytes and path (SHA256SUMS has the digests)"
		(cd "$DIST" && find . -type f ! -name SHA256SUMS ! -name MANIFEST | sed 's|^\./||' | sort | while read -r f; do
			echo "file $(stat -c %s "$f") $f"
		done)
	} > "$DIST/MANIFEST"
	(cd "$DIST" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort | xargs sha256sum) > "$DIST/SHA256SUMS"
	cat "$DIST/MANIFEST" | grep '^file ' >&2
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(deps kernel agent oci initramfs sums)
mkdir -p "$BUILD"
for s in "${steps[@]}"; do
	declare -F "step_$s" >/dev/null || die "unknown step $s (steps: deps kernel agent oci initramfs sums kunit)"
	"step_$s"
done
log "done"
