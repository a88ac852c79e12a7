cmd_/work/main/kmod/vmq.mod := printf '%s\n'   main.o registry.o queue.o acl.o hypercall.o kvm_hooks.o chardev.o | awk '!x[$$0]++ { print("/work/main/kmod/"$$0) }' > /work/main/kmod/vmq.mod
