/work/main/kmod/main.o
/work/main/kmod/registry.o
/work/main/kmod/queue.o
/work/main/kmod/acl.o
/work/main/kmod/hypercall.o
/work/main/kmod/kvm_hooks.o
/work/main/kmod/chardev.o
