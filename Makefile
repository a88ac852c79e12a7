# SPDX-License-Identifier: GPL-2.0
#
# vmq: build the modules (kmod/vmq.ko for the host, kmod/guest/vmq_guest.ko
# for Linux guests, through the top-level Kbuild) and the selftests, and run
# them in a QEMU sandbox (this machine's kernel need not be able to load
# modules).
#
#   make                 modules + selftests + userspace (libvmq.a, vmqctl,
#                        vmq-ivshmem-server, vmq-cat)
#   make check           install missing packages, build, run every selftest in
#                        the sandbox (npt=1 and npt=0), then linux_guest_test
#                        (two Linux guests) in one of its own (scripts/check.sh);
#                        ends "N passed, M failed"
#   make check-debug     the canary self-test, then the same tests on the debug
#                        kernel (KASAN, lockdep, kmemleak, UBSAN)
#   make check-linux-guest  linux_guest_test alone
#   make demo | bench    run selftests/vmq_demo | vmq_bench in the sandbox (the
#                        bench's guest_stream/guest_ping in a second one)
#   make fuzz            a long hostile-guest run (fuzz_test) on the debug
#                        kernel: FUZZ_CALLS (1000000), FUZZ_SEED, FUZZ_VMS,
#                        FUZZ_VCPUS; FUZZ_SANDBOX= for Debian's kernel
#   make reload-cycles   unload and reload vmq RELOAD_CYCLES (100) times
#                        while VMs use it, on the debug kernel
#   make install         vmq.ko and vmq_guest.ko into /lib/modules/<kver>/updates,
#                        then depmod
#   make KDIR=<dir>      build against another kernel tree

# The running kernel's build tree, else the newest installed Debian 6.1
# headers (the build machine may run any kernel).
ifeq ($(origin KDIR),undefined)
KDIR := /lib/modules/$(shell uname -r)/build
ifeq ($(wildcard $(KDIR)/Makefile),)
KDIR := $(lastword $(shell ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V))
endif
endif

# Arguments for scripts/sandbox.sh, e.g. make check SANDBOX_ARGS="--npt 1".
SANDBOX_ARGS ?=

# check and friends build in parallel unless told otherwise (make -jN).
JOBS ?= $(shell nproc)
par := $(if $(filter -j%,$(MAKEFLAGS)),,-j$(JOBS))

all: modules selftests userspace

kdir-check:
	@test -n "$(KDIR)" -a -f "$(KDIR)/Makefile" || { \
		echo "No kernel build tree: install linux-headers-amd64 (make deps) or pass KDIR=..." >&2; \
		exit 1; }

modules: kdir-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# Unsigned (Debian's headers carry no signing key; the kernel does not insist).
# kbuild skips depmod without System.map, so run it here; the release comes
# from utsrelease.h (Debian's include/config/kernel.release says "6.1.NNN").
KVER = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h)
modules_install install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates CONFIG_MODULE_SIG_ALL= modules_install
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)

# kmod/'s and kmod/guest/'s files call one way, top to bottom (their Kbuild
# files list the order).
layers:
	scripts/check-layers.sh

# Sparse over the modules (C=2: every file, not only the rebuilt ones).
sparse: kdir-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules

ksft:
	scripts/ksft-prepare.sh

selftests: ksft
	$(MAKE) -C selftests

# libvmq.a, vmqctl, vmq-ivshmem-server and vmq-cat (static; the sandbox
# installs vmqctl as /usr/bin/vmqctl).
userspace:
	$(MAKE) -C userspace

deps:
	scripts/deps.sh

# Whatever breaks, the last line is "N passed, M failed".
broke = { echo "check: $(1) failed"; echo "0 passed, 1 failed"; exit 1; }

check:
	@scripts/deps.sh || $(call broke,installing packages)
	@scripts/check-layers.sh || $(call broke,the layering check)
	@$(MAKE) $(par) all || $(call broke,the build)
	scripts/check.sh $(SANDBOX_ARGS)

check-debug:
	@scripts/deps.sh || $(call broke,installing packages)
	@$(MAKE) $(par) all || $(call broke,the build)
	scripts/check-debug.sh $(SANDBOX_ARGS)

demo bench:
	@test -f selftests/vmq_$@.c || { \
		echo "selftests/vmq_$@.c does not exist yet: there is no $@ to run" >&2; \
		exit 1; }
	scripts/deps.sh
	$(MAKE) $(par) all
	scripts/sandbox.sh --$@ $(SANDBOX_ARGS)
	$(if $(filter bench,$@),scripts/sandbox.sh --bench --smp 1 --npt 0 --test guest_stream)

# Two Linux guests in two stock QEMUs, end to end (selftests/linux_guest_test.c);
# shadow paging only in the TCG sandbox, where nested paging is too slow.
check-linux-guest:
	@scripts/deps.sh || $(call broke,installing packages)
	@$(MAKE) $(par) all || $(call broke,the build)
	scripts/sandbox.sh --linux-guest $(SANDBOX_ARGS)

# Long runs outside CI, on the debug kernel unless told otherwise.
FUZZ_CALLS ?= 1000000
FUZZ_VMS ?= 3
FUZZ_VCPUS ?= 2
FUZZ_SANDBOX ?= --debug
fuzz_cmd = ./fuzz_test --calls $(FUZZ_CALLS) --vms $(FUZZ_VMS) \
	--vcpus $(FUZZ_VCPUS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))
RELOAD_CYCLES ?= 100

fuzz:
	scripts/deps.sh
	$(MAKE) $(par) all
	scripts/sandbox.sh --shell-cmd '$(fuzz_cmd)' --npt 1 --timeout 10800 \
		$(FUZZ_SANDBOX) $(SANDBOX_ARGS)

reload-cycles:
	scripts/deps.sh
	$(MAKE) $(par) all
	scripts/sandbox.sh --shell-cmd 'VMQ_RELOAD_CYCLES=$(RELOAD_CYCLES) ./reload_test' \
		--npt 1 --timeout 10800 $(FUZZ_SANDBOX) $(SANDBOX_ARGS)

clean:
	@if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C selftests clean
	$(MAKE) -C userspace clean
	rm -rf build

.PHONY: all layers kdir-check modules modules_install install sparse ksft selftests userspace \
	deps check check-debug check-linux-guest demo bench fuzz reload-cycles clean
