#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-initramfs.sh - the initramfs of the Linux guests that linux_guest_test
# and vmq_bench's guest_* benchmarks boot in nested QEMUs: busybox, the vmq
# guest driver and vmq-cat, and an /init that loads the driver and then
# serves a shell on the second serial port, so that the host side can drive
# the guest one command at a time.
#
#   guest-initramfs.sh OUT.cpio.gz VMQ_GUEST_KO VMQ_CAT [NAME=PROGRAM|MODULE.ko]...
#
# NAME=PROGRAM puts a static PROGRAM into the guest's /usr/bin as NAME
# (linux_guest_test's probe, gtool). Each MODULE.ko (or .ko.xz) is loaded
# at boot, in the order given, before vmq_guest: the benchmark's baseline
# needs virtio-net, which Debian builds as modules.
# The guest's ports: ttyS0 is the kernel's console (QEMU writes it to a
# file); ttyS1 is the control shell, in raw mode without echo: it reads one
# command per line (each ends in " #@@"), prints what the command prints,
# then "@@rc=STATUS@@". The guest never
# needs a disk; its network is the benchmark's baseline only.
set -euo pipefail

(($# >= 3)) || { sed -n '/^#   guest-initramfs/p' "$0" | sed 's/^# *//' >&2; exit 2; }
out=$1 ko=$2 cat=$3
shift 3
for f in "$ko" "$cat"; do
	[[ -f $f ]] || { echo "guest-initramfs: $f does not exist: run 'make' first" >&2; exit 1; }
done
busybox=$(command -v busybox) ||
	{ echo "guest-initramfs: busybox is missing (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root}
cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	[[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done
# Without debug information it is a twentieth of the size.
strip --strip-debug -o "$root/vmq_guest.ko" "$ko"
cp "$cat" "$root/usr/bin/vmq-cat"
mkdir -p "$root/modules"
for p in "$@"; do
	case $p in
	*.ko | *.ko.xz)
		[[ -f $p ]] || { echo "guest-initramfs: $p does not exist" >&2; exit 1; }
		m=$(basename "${p%.xz}")
		if [[ $p == *.xz ]]; then xz -dc "$p" >"$root/modules/$m"; else cp "$p" "$root/modules/$m"; fi
		echo "$m" >>"$root/modules/order"
		;;
	*=*)
		[[ -f ${p#*=} ]] || { echo "guest-initramfs: ${p#*=} does not exist" >&2; exit 1; }
		cp "${p#*=}" "$root/usr/bin/${p%%=*}"
		;;
	*) echo "guest-initramfs: $p: neither NAME=PROGRAM nor a module" >&2; exit 1 ;;
	esac
done

cat >"$root/init" <<'EOF'
#!/bin/sh
# /init of a vmq test guest (scripts/guest-initramfs.sh).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs -o size=90% tmp /tmp
exec </dev/console >/dev/console 2>&1
if [ -f /modules/order ]; then
	while read -r m; do
		insmod "/modules/$m" || echo "VMQ-GUEST: insmod $m failed"
	done </modules/order
fi
if insmod /vmq_guest.ko; then
	echo "VMQ-GUEST: vmq_guest loaded"
else
	echo "VMQ-GUEST: insmod vmq_guest failed"
fi
stty -F /dev/ttyS1 raw -echo clocal
# One shell for the whole run: a command may start a job in the background
# and a later one wait for it. Each line is one command, read whole before
# the shell parses it (the port delivers a line a few bytes at a time),
# then answered with its exit status. A line is read by a subshell of
# its own: the shell that runs the commands gets a SIGCHLD whenever one
# of its background jobs ends, and busybox's read, interrupted by it,
# gives back part of the line. Twice a guest sat idle, never answering a
# command sent just as a background job ended, as if a line had lost
# its end that way. The subshell has no children: nothing interrupts it.
# The host still ends every command with " #@@" (a comment), and only a
# line with the mark runs.
# The greeting goes out through the loop's own open of the port: between a
# last close and the next open the port drops what arrives, and the host
# sends its first command as soon as it reads the greeting.
cd /tmp
cmd=
{
echo "VMQ-GUEST: ready"
while :; do
	if ! part=$(IFS= read -r l; s=$?; printf '%s' "$l"; exit $s) &&
	    [ -z "$part" ]; then
		sleep 1
		continue
	fi
	cmd=$cmd$part
	case $cmd in
	*" #@@") ;;
	*) continue ;;
	esac
	eval "$cmd" </dev/null
	echo "@@rc=$?@@"
	cmd=
done
} </dev/ttyS1 >/dev/ttyS1 2>&1
EOF
chmod 755 "$root/init"

(cd "$root" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 >"$out.tmp"
mv "$out.tmp" "$out"
