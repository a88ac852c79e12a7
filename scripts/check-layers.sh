#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The modules' files call one way only: down. kmod/Kbuild lists vmq.ko's
# files in layer order, top to bottom (the layers are named in kmod/vmq.h),
# and kmod/guest/Kbuild lists the guest driver's (kmod/guest/guest.h); every
# #include "x.h" of a file must name a file of its module listed after it,
# or one of the header-only files at the bottom (vmq.h, compat.h; guest.h).
# Since a function can only be called through its header (the modules build
# with -Werror=implicit-function-declaration), no call runs upwards and
# there is no include or call cycle. The one way up in vmq.ko, KVM's events,
# goes through the function pointers of struct vmq_kvm_callbacks
# (kvm_hooks.h).
# Every .c file also names its layer in its opening comment ("Layer:").
set -euo pipefail
cd "$(dirname "$0")/../kmod"

bad=0
summary=

# check_module DIR OBJVAR BOTTOM...: DIR's files against DIR/Kbuild's OBJVAR.
check_module() {
	local dir=$1 var=$2 label
	shift 2
	label=kmod/${dir#.}
	label=${label%/}
	local order f n src self inc
	local -A rank=()

	order=$(sed -n "/^$var :=/,/^\$/p" "$dir/Kbuild" | tr -d '\\' |
		sed "s/$var :=//" | tr -s ' \t\n' '\n' | sed -n 's/\.o$//p')
	n=0
	for f in $order "$@"; do
		rank[$f]=$n
		n=$((n + 1))
	done

	for src in "$dir"/*.c "$dir"/*.h; do
		src=${src#./}
		[[ $src == *.mod.c ]] && continue
		self=$(basename "${src%.*}")
		if [[ -z ${rank[$self]+x} ]]; then
			echo "check-layers: kmod/$src: not in $label/Kbuild's $var" >&2
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
	summary+="check-layers: $label/ calls one way: $(echo $order | tr ' ' '>' | sed 's/>/ > /g')"$'\n'
}

check_module . vmq-y vmq compat
check_module guest vmq_guest-y guest
if ((bad)); then
	exit 1
fi
printf '%s' "$summary"
