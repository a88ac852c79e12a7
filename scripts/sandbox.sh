#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sandbox.sh - run vmq in a throw-away VM: QEMU/TCG with an emulated AMD CPU
# (SVM, so KVM works inside), Debian's 6.1 kernel, and an initramfs made of
# busybox, the KVM modules, vmq.ko and the selftests; the host's root is
# shared read-only at /host (9p), for qemu_test's nested QEMU.  The build
# machine's own kernel cannot load modules; this is where everything that
# loads one runs.
#
#   sandbox.sh [--tests|--linux-guest|--demo|--bench|--shell-cmd CMD] [--debug]
#              [--npt both|0|1] [--smp N] [--timeout SECS] [--test NAME]...
#
#   --tests       run the installed selftests with kselftest's run_kselftest.sh
#                 (default; --npt defaults to "both": once with kvm_amd npt=1,
#                 once with npt=0)
#   --demo        run selftests/vmq_demo;  --bench: run selftests/vmq_bench
#                 (--npt "both" too: under npt=0 it runs only the benchmarks
#                 of the translation cache)
#   --linux-guest run selftests/linux_guest_test, two Linux guests in nested
#                 QEMUs (npt=0 and --smp 1: see "Linux guests" in
#                 Documentation/vmq/testing.rst for why)
#   --test NAME   run only this selftest (repeatable); with --bench, only
#                 this benchmark
#   --smp N       the sandbox's vCPUs (default 2)
#   --shell-cmd   run CMD with the guest's /bin/sh (tests are in /ksft/vmq)
#   --debug       use the debug kernel (KASAN, lockdep, kmemleak, UBSAN):
#                 the .debs in $VMQ_DEBUG_KERNEL_DIR or ../shared/debug-kernel,
#                 else built once by scripts/debug-kernel/build.sh into
#                 ~/.cache/vmq/debug-kernel; vmq.ko is rebuilt for it
#   --canary      harness self-test of the debug tier (implies --debug):
#                 load selftests/guards/canary (one use-after-free, one leak) instead
#                 of running tests; passes only if the report scanner finds
#                 both the KASAN report and the kmemleak report
#
# The module comes from kmod/vmq.ko ("make" builds it) unless VMQ_KO=PATH names
# another one.  The kernel is the one vmq.ko was built for (its vermagic), or
# VMQ_KVER=<release> from /boot and /lib/modules.
#
# Prints one result line per test, any kernel problem found in the console
# log (WARN, BUG, oops, lockdep, KASAN, UBSAN, kmemleak, hung task, ...), and
# last "N passed, M failed".  Exits 1 when anything failed: a test, a kernel
# report, vmq that would not unload, or a guest that never finished.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
sb=$repo/build/sandbox
root=$sb/root
initrd=$sb/initramfs.cpio.gz
log=$sb/console.log

# A run that cannot even start still ends with the summary line.
die() { printf 'sandbox: %s\n0 passed, 1 failed\n' "$*"; exit 2; }
usage() { sed -n '/^#   sandbox.sh/,/^# VMQ_KVER/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

mode=tests shell_cmd='' debug=0 npt='' tmo='' only='' smp=''
while (($#)); do
	case $1 in
	--tests) mode=tests ;;
	--demo) mode=demo ;;
	--bench) mode=bench ;;
	--shell-cmd) (($# >= 2)) || usage; mode=cmd shell_cmd=$2; shift ;;
	--linux-guest) mode=linux-guest ;;
	--smp) (($# >= 2)) || usage; smp=$2; shift ;;
	--debug) debug=1 ;;
	--canary) mode=canary debug=1 ;;
	--npt) (($# >= 2)) || usage; npt=$2; shift ;;
	--timeout) (($# >= 2)) || usage; tmo=$2; shift ;;
	--test) (($# >= 2)) || usage; only+=" ${2%.c}"; shift ;;
	-h | --help) usage ;;
	*) echo "sandbox: unknown argument: $1" >&2; usage ;;
	esac
	shift
done
[[ -n $npt ]] || { [[ $mode == tests || $mode == bench ]] && npt=both || npt=1; }
[[ $mode == canary ]] && npt=1
# The nested Linux guests: shadow paging (under npt=1 on TCG they take too
# long to boot) on a one-vCPU sandbox. With two vCPUs, QEMU 7.2's TCG now
# and then delivers an interrupt it already injected into the nested guest
# a second time, ignoring the guest's IF, which deadlocks the guest
# (testing.rst); TCG's round-robin kick, the trigger, exists only with
# more than one vCPU.
if [[ $mode == linux-guest ]]; then
	npt=0
	smp=${smp:-1}
fi
smp=${smp:-2}
[[ $smp =~ ^[1-8]$ ]] || die "--smp takes 1 to 8"
case $npt in
both) phases="1 0" ;;
0 | 1) phases=$npt ;;
*) die "--npt takes both, 0 or 1" ;;
esac
if [[ -z $tmo ]]; then
	# TCG is slow and the debug kernel about three times slower again.
	# linux-guest takes 90 to 110 s (about 400 on the debug kernel): a
	# hang is over well before it could eat CI's time.
	case $mode in tests | bench) tmo=900 ;; linux-guest) tmo=600 ;; *) tmo=300 ;; esac
	((debug)) && tmo=$((tmo * 3))
fi
[[ $tmo =~ ^[0-9]+$ ]] || die "--timeout takes seconds"

mkdir -p "$sb"

# --- kernel, its KVM modules, and vmq.ko built for it ------------------------

if ((debug)); then
	# Prebuilt .debs (CI has ../shared/debug-kernel), else the project's own
	# recipe builds them once into a cache outside the work tree.
	dk=${VMQ_DEBUG_KERNEL_DIR:-$repo/../shared/debug-kernel}
	if ! compgen -G "$dk/linux-image-*.deb" >/dev/null; then
		dk=${XDG_CACHE_HOME:-$HOME/.cache}/vmq/debug-kernel
		if ! compgen -G "$dk/linux-image-*.deb" >/dev/null; then
			echo "sandbox: no prebuilt debug kernel; building one into $dk"
			"$repo/scripts/debug-kernel/build.sh" "$dk" ||
				die "building the debug kernel failed"
		fi
	fi
	dout=$repo/build/debug-kernel
	# Unpack once; the stamp is the .deb files' checksums.
	want=$(cat "$dk"/*.deb | sha256sum)
	if [[ ! -f $dout/.stamp || $(<"$dout/.stamp") != "$want" ]]; then
		echo "sandbox: unpacking the debug kernel into $dout"
		rm -rf "$dout"
		mkdir -p "$dout"
		for deb in "$dk"/*.deb; do dpkg-deb -x "$deb" "$dout"; done
		echo "$want" >"$dout/.stamp"
	fi
	kernel=$(compgen -G "$dout/boot/vmlinuz-*" | sort -V | tail -n1)
	kver=${kernel##*/vmlinuz-}
	modroot=$dout/lib/modules/$kver
	if [[ -n ${VMQ_KO:-} ]]; then
		ko=$VMQ_KO
	else
		# Build a copy of the tree so the normal build stays untouched.
		dbuild=$repo/build/debug-build
		mkdir -p "$dbuild"
		rsync -a --delete --exclude=/build --exclude=/.git \
			--exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
			--exclude='*.mod' --exclude='*.mod.c' \
			--exclude=Module.symvers --exclude=modules.order \
			"$repo/" "$dbuild/"
		echo "sandbox: building vmq.ko for $kver in $dbuild"
		make -C "$dbuild" KDIR="$dout/usr/src/linux-headers-$kver" modules >"$sb/debug-build.log" 2>&1 ||
			{ tail -n 40 "$sb/debug-build.log"; die "building vmq.ko for the debug kernel failed"; }
		ko=$dbuild/kmod/vmq.ko
	fi
else
	ko=${VMQ_KO:-$repo/kmod/vmq.ko}
	[[ -f $ko ]] || die "$ko does not exist: run 'make' first (or set VMQ_KO)"
	kver=${VMQ_KVER:-$(modinfo -F vermagic "$ko" | cut -d' ' -f1)}
	kernel=/boot/vmlinuz-$kver
	modroot=/lib/modules/$kver
	if [[ ! -r $kernel || ! -d $modroot/kernel ]]; then
		# Say which kernels would do, to make the mismatch obvious.
		avail=$(for k in /boot/vmlinuz-6.1.*-amd64; do
			v=${k#/boot/vmlinuz-}
			[[ -f /lib/modules/$v/kernel/arch/x86/kvm/kvm-amd.ko ]] && echo "$v"
		done | sort -V | tr '\n' ' ')
		die "$ko is built for $kver, but $kernel or $modroot is missing (bootable: ${avail:-none}); rebuild with KDIR=/usr/src/linux-headers-<one of those>"
	fi
fi
[[ -f $ko ]] || die "$ko does not exist"

# The canary is built in a copy, against the same kernel's headers.
if [[ $mode == canary ]]; then
	cbuild=$sb/canary-build
	rm -rf "$cbuild"
	cp -r "$repo/selftests/guards/canary" "$cbuild"
	make -C "$dout/usr/src/linux-headers-$kver" M="$cbuild" modules >"$sb/canary-build.log" 2>&1 ||
		{ tail -n 40 "$sb/canary-build.log"; die "building the canary module failed"; }
fi
ko_name=$(modinfo -F name "$ko")
[[ -n $ko_name ]] || ko_name=$(basename "$ko" .ko)

case $mode in
demo) prog=vmq_demo ;;
bench) prog=vmq_bench ;;
linux-guest) prog=linux_guest_test ;;
*) prog= ;;
esac
prog_args=
if [[ $mode == bench || $mode == demo ]]; then
	prog_args=$only
	only=
fi
if [[ -n $prog && ! -f $repo/selftests/$prog.c ]]; then
	die "selftests/$prog.c does not exist yet: nothing to run"
fi

# --- initramfs ---------------------------------------------------------------

rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,modules,vmq,ksft}

# busybox-static, with a link for every applet at its usual path.
busybox=$(command -v busybox) || die "busybox is missing (apt-get install busybox-static)"
cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	[[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done

# kselftest's runner calls "/usr/bin/timeout --foreground T /usr/bin/timeout T
# TEST" and expects 124 on timeout; busybox's timeout knows neither, and it
# kills only the test itself: a child the test left behind (a nested QEMU, a
# case's process) would keep the runner's pipe open and stall the whole run.
# Here the outer call just runs the inner one; the inner one runs the test
# in a session of its own and kills all of that session at the deadline and
# again once the test is gone.
rm -f "$root/usr/bin/timeout"
cat >"$root/usr/bin/timeout" <<'EOF'
#!/bin/sh
if [ "$1" = --foreground ]; then
	shift 2
	exec "$@"
fi
t=$1
shift
# Not a process group leader (no job control here): setsid keeps the pid.
setsid "$@" &
pid=$!
setsid sh -c "sleep $t; touch /tmp/timeout.$pid; kill -TERM -- -$pid
	sleep 10; kill -KILL -- -$pid" </dev/null >/dev/null 2>&1 &
dog=$!
wait $pid
rc=$?
kill -KILL -- -$dog -$pid 2>/dev/null
if [ -e /tmp/timeout.$pid ]; then
	rm -f /tmp/timeout.$pid
	rc=124
fi
exit $rc
EOF
chmod 755 "$root/usr/bin/timeout"

# KVM and what it needs, in dependency order (modinfo's "depends"),
# decompressed so busybox insmod can load them.
declare -A modpath=() seen=()
modorder=()
while IFS= read -r f; do
	n=${f##*/}
	n=${n%%.ko*}
	modpath[${n//-/_}]=$f
done < <(find "$modroot/kernel" -name '*.ko*')
add_module() {
	local n=${1//-/_} f d
	[[ -n ${seen[$n]:-} ]] && return
	seen[$n]=1
	f=${modpath[$n]:-}
	[[ -n $f ]] || die "module $n not found under $modroot"
	for d in $(modinfo -F depends "$f" | tr ',' ' '); do add_module "$d"; done
	case $f in
	*.ko.xz) xz -dc "$f" ;;
	*.ko.zst) zstd -dc "$f" ;;
	*.ko.gz) gzip -dc "$f" ;;
	*) cat "$f" ;;
	esac >"$root/modules/$n.ko"
	modorder+=("$n")
}
for m in irqbypass kvm kvm_amd; do add_module "$m"; done
# 9p over virtio, for the host's root at /host (qemu_test runs the host's
# QEMU from there); built into some kernels, modules in Debian's.
builtin=$modroot/modules.builtin
for m in virtio_pci 9pnet_virtio 9p; do
	[[ -f $builtin ]] && grep -q "/${m//_/[-_]}\.ko\$" "$builtin" && continue
	add_module "$m"
done
printf '%s\n' "${modorder[@]}" >"$root/modules/order"
cp "$ko" "$root/vmq/vmq.ko"
[[ $mode == canary ]] && cp "$cbuild/canary.ko" "$root/canary.ko"

# Tests (and the demo/bench programs) as kselftest installs them.
make -s -C "$repo/selftests" install INSTALL_PATH="$root/ksft" >"$sb/install.log" 2>&1 ||
	{ cat "$sb/install.log"; die "installing the selftests failed"; }
# vmqctl(8), static, when built ("make" builds it); tests find it there.
if [[ -x $repo/userspace/vmqctl ]]; then
	cp "$repo/userspace/vmqctl" "$root/usr/bin/vmqctl"
fi
# linux_guest_test's Linux guests: Debian's kernel that vmq_guest.ko was
# built for (whatever kernel the sandbox runs; the guests run in nested
# QEMUs and read it through /host), and an initramfs with the guest driver,
# vmq-cat and the test's probe. vmq-ivshmem-server serves their QEMUs.
gko=$repo/kmod/guest/vmq_guest.ko
if [[ -f $gko && -x $repo/userspace/vmq-cat && -x $repo/userspace/vmq-ivshmem-server &&
	-x $root/ksft/vmq/linux_guest_tool ]]; then
	cp "$repo/userspace/vmq-ivshmem-server" "$root/usr/bin/"
	# virtio-net and what it needs, for vmq_bench's TCP baseline.
	gver=$(modinfo -F vermagic "$gko" | cut -d' ' -f1)
	gmods=()
	for m in failover net_failover virtio_ring virtio virtio_pci_modern_dev \
		virtio_pci_legacy_dev virtio_pci virtio_net; do
		f=$(find "/lib/modules/$gver/kernel" -name "$m.ko*" 2>/dev/null | head -1)
		[[ -n $f ]] && gmods+=("$f")
	done
	"$repo/scripts/guest-initramfs.sh" "$root/ksft/vmq/linux_guest.cpio.gz" "$gko" \
		"$repo/userspace/vmq-cat" gtool="$root/ksft/vmq/linux_guest_tool" "${gmods[@]}" ||
		die "building the Linux guests' initramfs failed"
	echo "/boot/vmlinuz-$gver" >"$root/ksft/vmq/linux_guest.kernel"
fi
if [[ -n $prog && ! -x $root/ksft/vmq/$prog ]]; then
	die "$prog was not built (see 'make -C selftests')"
fi
tests=$(cut -d: -f2 "$root/ksft/kselftest-list.txt" 2>/dev/null || true)
ksft_args=
if [[ -n $only ]]; then
	for t in $only; do
		grep -qx "$t" <<<"$tests" || die "no selftest named $t (have: ${tests//$'\n'/ })"
		ksft_args+=" -t vmq:$t"
	done
	tests=$only
fi
[[ $mode != tests || -n $tests ]] || die "no selftests to run"

printf '%s\n' "$shell_cmd" >"$root/sandbox.cmd"
cat >"$root/sandbox.conf" <<EOF
MODE=$mode
PHASES="$phases"
DEBUG=$debug
VMQ_NAME=$ko_name
PROG=$prog
PROG_ARGS="$prog_args"
REPORT_AFTER=$((tmo * 3 / 4))
KSFT_ARGS="$ksft_args"
EOF

cat >"$root/init" <<'EOF'
#!/bin/sh
# /init of the vmq sandbox (written by scripts/sandbox.sh, which parses the
# "VMQ-SANDBOX:" lines).  Always ends in poweroff; a guest that does not get
# there is a failure.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
# The initramfs has no device nodes (building it needs no root): the console
# comes from devtmpfs.
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
# What udev would add; kselftest's runner writes to /dev/stdout.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t sysfs sys /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmp /tmp
# Loopback only (the sandbox has no network): vmq_bench's guests connect
# their virtio-net through a QEMU socket netdev on 127.0.0.1.
ip link set lo up
. /sandbox.conf

mark() { echo "VMQ-SANDBOX: $*"; }

# A one-second sleep that takes seconds more, all of them idle, means the
# vCPU halted and nothing woke it: the TCG stall that the host's key
# presses end (see scripts/sandbox.sh). A busy sandbox (kmemleak's scan)
# is late too, but not idle. Said on the console, so that a run shows how
# often it happened. Not in a benchmark, whose numbers the extra process
# every second would blur.
heartbeat() {
	read -r prev pidle </proc/uptime
	while sleep 1; do
		read -r now idle </proc/uptime
		# Hundredths; the leading 1 so that "08" is not octal.
		late=$(( (${now%.*} - ${prev%.*}) * 100 + 1${now#*.} - 1${prev#*.} ))
		slept=$(( (${idle%.*} - ${pidle%.*}) * 100 + 1${idle#*.} - 1${pidle#*.} ))
		[ $late -ge 400 ] && [ $slept -ge $((late - 100)) ] &&
			mark "stall: a 1 s sleep took $((late / 100)).$((late / 10 % 10)) s, idle"
		prev=$now pidle=$idle
	done
}
[ "$MODE" = bench ] || heartbeat &

insmod_kvm_amd() {
	insmod /modules/kvm_amd.ko npt="$1" || { mark "FAIL insmod kvm_amd npt=$1"; return 1; }
}

load_vmq() {
	insmod /vmq/vmq.ko || { mark "FAIL insmod $VMQ_NAME"; return 1; }
}

unload_vmq() {
	if [ ! -d "/sys/module/$VMQ_NAME" ]; then
		mark "FAIL rmmod $VMQ_NAME: not loaded (a test left it unloaded?)"
		return 1
	fi
	if rmmod "$VMQ_NAME"; then
		mark "rmmod $VMQ_NAME ok"
	else
		mark "FAIL rmmod $VMQ_NAME"
		return 1
	fi
}

# kvm_anchor holds a VM and vCPUs for as long as kvm_amd is loaded, so that
# KVM's static keys never flip while tests run (see selftests/guards/kvm_anchor.c:
# TCG can lock up on the live text patching).
anchor=
start_anchor() {
	rm -f /tmp/kvm_anchor.pid
	/ksft/vmq/kvm_anchor /tmp/kvm_anchor.pid &
	anchor=$!
	i=0
	while [ ! -s /tmp/kvm_anchor.pid ] && [ $i -lt 600 ]; do
		kill -0 $anchor 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	[ -s /tmp/kvm_anchor.pid ] || { mark "FAIL kvm_anchor did not start"; anchor=; }
}

stop_anchor() {
	[ -n "$anchor" ] || return 0
	kill -TERM $anchor
	wait $anchor
	anchor=
}

kmemleak() {
	[ -w /sys/kernel/debug/kmemleak ] && echo "$1" >/sys/kernel/debug/kmemleak
}

run_phase() {
	mark "phase npt=$1 begin (kvm_amd npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null))"
	case $MODE in
	tests)
		(cd /ksft && ./run_kselftest.sh $KSFT_ARGS)
		;;
	demo | bench | linux-guest)
		# Three quarters of the sandbox's time: a program that can
		# (linux_guest_test) reports where it is stuck before the NMI.
		(cd /ksft/vmq && VMQ_REPORT_AFTER=$REPORT_AFTER "./$PROG" $PROG_ARGS)
		mark "result npt=$1 $PROG rc=$?"
		;;
	cmd)
		(cd /ksft/vmq && sh /sandbox.cmd)
		mark "result npt=$1 shell-cmd rc=$?"
		;;
	canary)
		insmod /canary.ko
		mark "canary loaded rc=$?"
		;;
	esac
	mark "phase npt=$1 end"
}

mark "boot ok ($(uname -r))"
first=1
for npt in $PHASES; do
	if [ $first = 1 ]; then
		first=0
		for m in $(cat /modules/order); do
			[ $m = kvm_amd ] && { insmod_kvm_amd "$npt"; continue; }
			insmod "/modules/$m.ko" || mark "FAIL insmod $m"
		done
		mkdir -p /host
		mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose \
			vmqhost /host ||
			echo "VMQ-SANDBOX: the host's root is not at /host"
		start_anchor
		# Leaks from booting and loading KVM are not vmq's.
		kmemleak scan && kmemleak clear
		# No periodic scans: under KASAN and TCG one takes minutes, and
		# the scanning thread only ever yields by preemption, which
		# holds up every RCU Tasks grace period (module unload, ftrace)
		# for as long. The scans at the end find what there is.
		kmemleak scan=off
	else
		unload_vmq
		stop_anchor
		rmmod kvm_amd || mark "FAIL rmmod kvm_amd"
		insmod_kvm_amd "$npt" && start_anchor
	fi
	load_vmq
	export VMQ_KO=/vmq/vmq.ko
	run_phase "$npt"
done
stop_anchor
unload_vmq

if [ "$DEBUG" = 1 ] && [ -e /sys/kernel/debug/kmemleak ]; then
	# kmemleak reports objects only once they are a few seconds old.
	mark "kmemleak scan"
	sleep 5; kmemleak scan; sleep 5; kmemleak scan
	cat /sys/kernel/debug/kmemleak
fi

mark "dmesg begin"
dmesg
mark "dmesg end"
mark "done"
poweroff -f
EOF
chmod 755 "$root/init"

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$initrd"

# --- boot ----------------------------------------------------------------------

# loglevel=5: WARN splats are KERN_WARNING, and with panic_on_warn the panic
# comes before any dmesg dump, so they must reach the console as they happen.
# The debug kernel keeps running after a report (panic_on_warn off) so that
# one run collects KASAN, lockdep and kmemleak findings together.
append="console=ttyS0 panic=-1 softlockup_panic=1 softlockup_all_cpu_backtrace=1 hung_task_panic=1 oops=panic"
# TCG on a busy host can starve a vCPU for seconds: only a long stall is a bug.
append+=" rcupdate.rcu_cpu_stall_timeout=60"
# The NMI sent when the time limit is up (below) ends in a panic that
# prints every task's stack.
append+=" unknown_nmi_panic panic_print=1"
append+=" quiet loglevel=5"
# Extra kernel arguments for an investigation (VMQ_KERNEL_ARGS="...").
append+=${VMQ_KERNEL_ARGS:+ $VMQ_KERNEL_ARGS}
((debug)) || append+=" panic_on_warn=1"
# One TCG thread for both vCPUs: with multi-threaded TCG a vCPU can keep
# running a stale translation of kernel text that the other vCPU has just
# live-patched (text_poke_bp for static keys, ftrace, module load) and spin
# in the int3 handler for ever.  VMQ_TCG_THREAD=multi is faster on a quiet
# host, for those who want to try.
tcg_thread=${VMQ_TCG_THREAD:-single}
[[ $tcg_thread == single || $tcg_thread == multi ]] ||
	die "VMQ_TCG_THREAD must be single or multi"
qemu=(qemu-system-x86_64 -accel "tcg,thread=$tcg_thread" -cpu "EPYC,+svm" -smp "$smp" -m 2048
	-nographic -no-reboot -vga none -nic none
	-virtfs local,path=/,mount_tag=vmqhost,security_model=none,readonly=on
	-kernel "$kernel" -initrd "$initrd" -append "$append")

# Stream the console, minus the final dmesg dump (it is in console.log).
show() {
	local quiet=0 line
	while IFS= read -r line; do
		case $line in
		"VMQ-SANDBOX: dmesg begin"*) quiet=1 ;;
		"VMQ-SANDBOX: dmesg end"*) quiet=0; continue ;;
		*"TCG doesn't support requested feature"*) continue ;;
		esac
		((quiet)) || printf '%s\n' "$line"
	done
}

# A sandbox that outlives its time limit is hung or livelocked, and with
# one vCPU its kernel cannot report that itself. QEMU's monitor (on two
# FIFOs, which need no tool to write to) then takes the vCPU's registers
# and sends an NMI: with unknown_nmi_panic the kernel panics and prints
# the stack it was on and, with panic_print=1, every task's.
mon=$sb/monitor
rm -f "$mon.in" "$mon.out" "$sb/timed-out"
mkfifo "$mon.in" "$mon.out"
# Opened read-write, neither end waits for the other.
exec 3<>"$mon.in" 4<>"$mon.out"
cat <&4 >"$sb/monitor.log" &
mon_reader=$!
qemu+=(-monitor "pipe:$mon")
# QEMU 7.2's TCG has been caught leaving the one vCPU of a sandbox halted
# for good with its timer's interrupt pending (testing.rst, "Linux
# guests"); with the tick stopped in idle nothing else wakes it. A key
# press through the monitor every $kick seconds wakes QEMU's main loop and
# raises an interrupt (the i8042's), which makes the vCPU look at its local
# APIC again: such a stall then ends within seconds (the sandbox's
# heartbeat says when one did). VMQ_SANDBOX_KICK=0 turns it off.
kick=${VMQ_SANDBOX_KICK:-5}
[[ $kick =~ ^[0-9]+$ ]] || die "VMQ_SANDBOX_KICK takes seconds"
# linux_guest_test prints at least every few minutes (no step goes on for
# more than 300 s without its stall report): a linux-guest sandbox silent
# for $silence seconds is hung, and need not wait for its time limit.
silence=${VMQ_SANDBOX_SILENCE:-0}
[[ $mode == linux-guest && -z ${VMQ_SANDBOX_SILENCE:-} ]] && silence=480
[[ $silence =~ ^[0-9]+$ ]] || die "VMQ_SANDBOX_SILENCE takes seconds"
watchdog() {
	local step=$kick size last=-1 since=$SECONDS
	((step)) || step=5
	# Its own output elsewhere: a sleep left behind must not hold a pipe
	# that our caller waits on.
	while ((SECONDS - start < tmo)); do
		sleep "$step" </dev/null >/dev/null 2>&1 3>&- 4>&-
		((kick)) && echo "sendkey shift" >&3
		((silence)) || continue
		size=$(stat -c %s "$log" 2>/dev/null) || size=0
		if ((size != last)); then
			last=$size since=$SECONDS
		elif ((SECONDS - since >= silence)); then
			echo "no console output for ${silence}s" >"$sb/timed-out"
			break
		fi
	done
	[[ -e $sb/timed-out ]] || echo "no end after ${tmo}s" >"$sb/timed-out"
	echo "sandbox: $(<"$sb/timed-out"); the sandbox's registers are in" \
		"${sb#"$repo"/}/monitor.log; sending it an NMI"
	echo "info registers" >&3
	sleep 2
	echo nmi >&3
}

echo "sandbox: booting $kernel ($mode, npt=${phases// /,}, timeout ${tmo}s)"
start=$SECONDS
watchdog &
watchdog_pid=$!
set +e
# sed: drop CRs and the firmware's terminal escapes; show(): hide QEMU's
# list of CPUID bits TCG lacks (harmless, and in console.log).
# --foreground: QEMU stays in our process group, so ^C stops it too.
# The kernel's panic after the NMI takes seconds; a minute more is the end.
timeout --foreground -k 10 $((tmo + 60)) "${qemu[@]}" </dev/null 2>&1 |
	sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' |
	tee "$log" | show
rc=${PIPESTATUS[0]}
set -e
kill "$watchdog_pid" "$mon_reader" 2>/dev/null || true
wait "$watchdog_pid" "$mon_reader" 2>/dev/null || true
exec 3>&- 4>&-
echo "sandbox: guest ran $((SECONDS - start)) s (console log: ${log#"$repo"/})"
if [[ -e $sb/timed-out ]]; then
	echo "sandbox: its vCPUs' registers when the time was up:"
	grep -E '^(CPU#|RAX|RSI|R8 |R12|RIP|CS |CR0|EFER)' "$sb/monitor.log" || true
fi
stalls=$(grep -c '^VMQ-SANDBOX: stall: ' "$log") || true
((stalls == 0)) || echo "sandbox: its vCPU stood still, idle, for 4 s or more:" \
	"$stalls time(s) (\"VMQ-SANDBOX: stall:\" in the console log)"

# --- results ---------------------------------------------------------------------

pass=0 fail=0
results=()
declare -A got=()
phase=
while IFS= read -r line; do
	case $line in
	"VMQ-SANDBOX: phase npt="*" begin"*)
		phase=${line#VMQ-SANDBOX: phase npt=}
		phase=${phase%% *}
		;;
	"VMQ-SANDBOX: phase npt="*" end"*) phase= ;;
	"VMQ-SANDBOX: FAIL "*)
		results+=("FAIL ${line#VMQ-SANDBOX: FAIL }")
		fail=$((fail + 1))
		;;
	"VMQ-SANDBOX: result npt="*)
		r=${line#VMQ-SANDBOX: result }
		name=${r% rc=*}
		got[$name]=1
		if [[ $r == *" rc=0" ]]; then
			results+=("PASS $name")
			pass=$((pass + 1))
		else
			results+=("FAIL $name (${r##* })")
			fail=$((fail + 1))
		fi
		;;
	"ok "[0-9]*" selftests: "* | "not ok "[0-9]*" selftests: "*)
		[[ -n $phase ]] || continue
		# "ok 3 selftests: vmq: foo_test # SKIP" -> foo_test, "SKIP"
		t=${line#*selftests: *: }
		name=${t%% *}
		note=
		[[ $t == *" # "* ]] && note=" (${t#* # })"
		got["npt=$phase $name"]=1
		if [[ $line == ok* ]]; then
			[[ $note == " (SKIP"* ]] && results+=("SKIP npt=$phase $name") ||
				results+=("PASS npt=$phase $name$note")
			pass=$((pass + 1))
		else
			results+=("FAIL npt=$phase $name$note")
			fail=$((fail + 1))
		fi
		;;
	esac
done <"$log"

# Every expected result must be there: a guest that died mid-run reports less.
for p in $phases; do
	case $mode in
	tests) names=$tests ;;
	demo | bench | linux-guest) names=$prog ;;
	cmd) names=shell-cmd ;;
	canary) names= ;;
	esac
	for name in $names; do
		if [[ -z ${got["npt=$p $name"]:-} ]]; then
			results+=("FAIL npt=$p $name (no result)")
			fail=$((fail + 1))
		fi
	done
done

if [[ -e $sb/timed-out ]]; then
	results+=("FAIL guest timed out: $(<"$sb/timed-out")")
	fail=$((fail + 1))
elif ((rc == 124 || rc == 137)); then
	results+=("FAIL guest timed out after ${tmo}s")
	fail=$((fail + 1))
elif ! grep -q '^VMQ-SANDBOX: done' "$log"; then
	results+=("FAIL guest did not finish (panic or crash; exit status $rc)")
	fail=$((fail + 1))
fi

# Kernel reports anywhere on the console or in the final dmesg.  The same line
# may be in both; show it once.  Anchored at the start of the message where
# harmless boot lines would match otherwise (SRSO "...: WARNING: See", the
# command line's hung_task_panic=1).
bad='^(WARNING:|BUG:|INFO: task .* blocked for more than|Kernel panic|Oops|'
bad+='UBSAN:|kernel BUG at|general protection fault|unreferenced object)|'
bad+='watchdog: BUG: soft lockup|hard LOCKUP|KASAN|kmemleak: .*suspected memory leak|'
bad+='possible circular locking|possible recursive locking|inconsistent lock state|'
bad+='suspicious RCU usage|DEBUG_LOCKS_WARN_ON|turning off the locking correctness validator|'
bad+='Call Trace|list_(add|del) corruption|refcount_t: |'
bad+='double fault'
# Lines of the tests' own output ("# ...", TAP comments) are not the
# kernel's: a nested guest's console that a test prints is its own.
reports=$(grep -v -e '^VMQ-SANDBOX:' -e '^# ' "$log" |
	sed -E 's/^\[ *[0-9]+\.[0-9]+\](\[ *[CT][0-9]+\])? //' |
	grep -v -E '^(Kernel )?[Cc]ommand line:' | grep -E "$bad" |
	awk '!seen[$0]++' || true)

if [[ $mode == canary ]]; then
	# The self-test passes when the tier fails on the canary's bugs.
	miss=
	grep -q -E 'KASAN: (slab-)?use-after-free' <<<"$reports" || miss+=" use-after-free"
	grep -q -E 'kmemleak: .*suspected memory leak|unreferenced object' <<<"$reports" ||
		miss+=" leak"
	if [[ -z $miss ]]; then
		results+=("PASS harness: the debug tier reports the canary's use-after-free and leak")
		pass=$((pass + 1))
	else
		results+=("FAIL harness: the debug tier missed the canary's$miss")
		fail=$((fail + 1))
	fi
	echo
	echo "== sandbox results (harness self-test, kernel $kver) =="
	printf '%s\n' "${results[@]}"
	printf '%s\n' "$reports" | grep -E 'KASAN|kmemleak|unreferenced' | head -n 4 | sed 's/^/    caught: /'
	echo "$pass passed, $fail failed"
	((fail == 0))
	exit
fi

echo
echo "== sandbox results ($mode, kernel $kver) =="
((${#results[@]})) && printf '%s\n' "${results[@]}"
if [[ -n $reports ]]; then
	echo "FAIL kernel log reports problems:"
	printf '%s\n' "$reports" | head -n 60 | sed 's/^/    /'
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
((fail == 0))
