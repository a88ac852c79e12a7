#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's files call one way only: down. kmod/Kbuild lists them in
# layer order, top to bottom (the layers are named in kmod/vmq.h); every
# #include "x.h" of a file in kmod/ must name a file listed after it, or
# one of the header-only files at the bottom (vmq.h, compat.h). Since a
# function can only be called through its header (the module builds with
# -Werror=implicit-function-declaration), no call runs upwards and there is
# no include or call cycle. The one way up, KVM's events, goes through the
# function pointers of struct vmq_kvm_callbacks (kvm_hooks.h).
# Every .c file also names its layer in its opening comment ("Layer:").
set -euo pipefail
cd "$(dirname "$0")/../kmod"

order=$(sed -n '/^vmq-y :=/,/^$/p' Kbuild | tr -d '\\' | sed 's/vmq-y :=//' |
	tr -s ' \t\n' '\n' | sed -n 's/\.o$//p')
declare -A rank
n=0
for f in $order; do
	rank[$f]=$n
	n=$((n + 1))
done
for f in vmq compat; do
	rank[$f]=$n
	n=$((n + 1))
done

bad=0
for src in *.c *.h; do
	[[ $src == *.mod.c ]] && continue
	self=${src%.*}
	if [[ -z ${rank[$self]+x} ]]; then
		echo "check-layers: kmod/$src: not in kmod/Kbuild's vmq-y" >&2
		bad=1
		continue
	fi
	if [[ $src == *.c ]] && ! head -n 20 "$src" | grep -q 'Layer:'; then
		echo "check-layers: kmod/$src: its opening comment names no layer" >&2
		bad=1
	fi
	for inc in $(sed -n 's/^#include "\(.*\)\.h"$/\1/p' "$src"); do
		[[ $inc == "$self" ]] && continue
		if [[ -z ${rank[$inc]+x} ]]; then
			echo "check-layers: kmod/$src includes $inc.h, which no layer holds" >&2
			bad=1
		elif ((rank[$inc] <= rank[$self])); then
			echo "check-layers: kmod/$src includes $inc.h, of a layer above it or beside it (upwards call)" >&2
			bad=1
		fi
	done
done
if ((bad)); then
	exit 1
fi
echo "check-layers: kmod/ calls one way: $(echo $order | tr ' ' '>' | sed 's/>/ > /g')"
