#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh OUTDIR - build the debug kernel of "make check-debug" (KASAN,
# lockdep, kmemleak, UBSAN, fault injection; KVM as modules) from Debian's
# linux-source-6.1, and leave its linux-image and linux-headers .deb files in
# OUTDIR.  About 35 minutes on 2 cores.  scripts/sandbox.sh --debug runs it
# when neither VMQ_DEBUG_KERNEL_DIR nor ../shared/debug-kernel has the .debs.
#
# VMQ_DEBUG_KERNEL_CONFIG_ONLY=1 stops after the configuration and prints the
# options that matter (a quick check of the recipe).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:?usage: build.sh OUTDIR}" && cd "$1" && pwd)

pkgs=(flex bison bc libelf-dev libssl-dev dpkg-dev rsync cpio kmod xz-utils
	build-essential linux-source-6.1)
sudo=()
((EUID == 0)) || sudo=(sudo)
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends "${pkgs[@]}" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xf /usr/src/linux-source-6.1.tar.xz
cd "$work/linux-source-6.1"
# Debian turns external write tracking on through KVMGT; give the option a
# prompt instead of building i915. This is the only change to the source.
sed -i '/^config KVM_EXTERNAL_WRITE_TRACKING$/{n;s/^\tbool$/\tbool "KVM external write tracking"/}' \
	arch/x86/kvm/Kconfig
make -s x86_64_defconfig
scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config \
	kernel/configs/debug.config "$here/vmq-debug.config" >/dev/null
make -s olddefconfig
for opt in KASAN PROVE_LOCKING PROVE_RCU DEBUG_KMEMLEAK UBSAN DEBUG_ATOMIC_SLEEP \
	KVM KVM_AMD KVM_EXTERNAL_WRITE_TRACKING TRANSPARENT_HUGEPAGE \
	DYNAMIC_FTRACE_WITH_REGS; do
	grep -E "^CONFIG_$opt=[ym]" .config || { echo "build.sh: CONFIG_$opt is not set" >&2; exit 1; }
done
[[ ${VMQ_DEBUG_KERNEL_CONFIG_ONLY:-0} == 1 ]] && exit 0
echo "build.sh: building the debug kernel in $work (about 35 minutes on 2 cores)"
make -j"$(nproc)" bindeb-pkg >build.log 2>&1 || { tail -50 build.log; exit 1; }
cp ../linux-image-*vmqdebug*.deb ../linux-headers-*vmqdebug*.deb "$out"/
ls -l "$out"/*vmqdebug*.deb
