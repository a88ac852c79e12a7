#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ksft-prepare.sh [OUTDIR] - extract from Debian's linux-source-6.1 tarball
# the part of the kernel tree that the KVM selftest library needs to build
# out of tree, keeping the tree's shape, and install the kernel's UAPI
# headers into OUTDIR/usr/include (where 6.1's kvm Makefile looks for them).
#
# OUTDIR defaults to build/ksft in the repository.  A stamp file makes a
# second run with the same tarball instant.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/build/ksft}
tarball=${KSFT_TARBALL:-}

if [[ -z $tarball ]]; then
	# Newest linux-source-6.1*.tar.xz; Debian ships exactly one today.
	tarball=$(find /usr/src -maxdepth 1 -name 'linux-source-6.1*.tar.xz' | sort -V | tail -n1)
fi
if [[ -z $tarball || ! -r $tarball ]]; then
	echo "ksft-prepare: no /usr/src/linux-source-6.1*.tar.xz (run scripts/deps.sh)" >&2
	exit 1
fi

# Bump when the extracted set or the steps below change.
rev=3
stamp_want="rev=$rev $(stat -c '%n %s %Y' "$tarball")"
stamp=$out/.ksft-stamp
if [[ -f $stamp && $(<"$stamp") == "$stamp_want" ]]; then
	exit 0
fi

echo "ksft-prepare: extracting KVM selftest sources from $tarball into $out"
rm -rf "$out"
mkdir -p "$out"

# The tarball has one top directory (linux-source-6.1/); strip it.
top=$(tar -tJf "$tarball" | head -n1 || true)
top=${top%%/*}
paths=(
	# kselftest framework: lib.mk, TAP helpers, the runner and its installer
	tools/testing/selftests/lib.mk
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest
	tools/testing/selftests/run_kselftest.sh
	# KVM selftest library and what it includes
	tools/testing/selftests/kvm
	tools/include
	tools/arch/x86/include
	tools/lib/rbtree.c
	# enough of kbuild for "make headers" (the UAPI headers)
	Makefile
	scripts
	include/uapi
	arch/x86/include/uapi
	arch/x86/entry/syscalls
	arch/x86/tools
	arch/x86/Makefile
)
tar -xJf "$tarball" -C "$out" --strip-components=1 "${paths[@]/#/$top/}"

# Same as "make headers" in a full tree; the kvm Makefile uses
# $(top_srcdir)/usr/include.  linux-libc-dev's /usr/include is the fallback
# (gcc searches it anyway) if this ever fails.
echo "ksft-prepare: installing UAPI headers into $out/usr/include"
if ! make -s -C "$out" -j"$(nproc)" ARCH=x86 headers >"$out/headers.log" 2>&1; then
	echo "ksft-prepare: warning: 'make headers' failed (see $out/headers.log);" \
		"falling back to /usr/include" >&2
	rm -rf "$out/usr/include"
fi

echo "$stamp_want" >"$stamp"
