cmd_/work/main/kmod/modules.order := {   echo /work/main/kmod/vmq.ko; :; } > /work/main/kmod/modules.order
