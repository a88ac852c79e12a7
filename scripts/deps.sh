#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - install the Debian 12 packages that building vmq and running its
# sandbox need.  Does nothing (quickly) when all are installed; otherwise one
# "apt-get update" and one "apt-get install".  Uses sudo when not root.
set -euo pipefail

pkgs=(
	# the target kernel: image for the sandbox, headers to build against,
	# source for the KVM selftest library
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	# the sandbox
	qemu-system-x86 busybox-static cpio kmod xz-utils
	# building: module, selftests (static), kselftest's installer
	make gcc libc6-dev pkg-config sparse libnl-3-dev libnl-genl-3-dev rsync
)

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $status == installed ]] || missing+=("$p")
done
((${#missing[@]})) || exit 0

echo "deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
	command -v sudo >/dev/null || { echo "deps: not root and no sudo" >&2; exit 1; }
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}"
