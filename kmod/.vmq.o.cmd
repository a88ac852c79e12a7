cmd_/work/main/kmod/vmq.o := ld -m elf_x86_64 -z noexecstack --no-warn-rwx-segments   -r -o /work/main/kmod/vmq.o @/work/main/kmod/vmq.mod 
