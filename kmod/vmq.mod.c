#include <linux/module.h>
#define INCLUDE_VERMAGIC
#include <linux/build-salt.h>
#include <linux/elfnote-lto.h>
#include <linux/export-internal.h>
#include <linux/vermagic.h>
#include <linux/compiler.h>

BUILD_SALT;
BUILD_LTO_INFO;

MODULE_INFO(vermagic, VERMAGIC_STRING);
MODULE_INFO(name, KBUILD_MODNAME);

__visible struct module __this_module
__section(".gnu.linkonce.this_module") = {
	.name = KBUILD_MODNAME,
	.init = init_module,
#ifdef CONFIG_MODULE_UNLOAD
	.exit = cleanup_module,
#endif
	.arch = MODULE_ARCH_INIT,
};

#ifdef CONFIG_RETPOLINE
MODULE_INFO(retpoline, "Y");
#endif


static const struct modversion_info ____versions[]
__used __section("__versions") = {
	{ 0xc9058f3d, "__SCK__kvm_x86_cache_reg" },
	{ 0x8a35b432, "sme_me_mask" },
	{ 0x9eca777b, "pin_user_pages_fast" },
	{ 0x112a62ad, "tracepoint_probe_unregister" },
	{ 0xff8b7cdc, "gfn_to_memslot" },
	{ 0x88db9f48, "__check_object_size" },
	{ 0x47978cc, "misc_deregister" },
	{ 0xb1bb9f9, "synchronize_rcu_tasks" },
	{ 0x49cd25ed, "alloc_workqueue" },
	{ 0xb3533ef0, "unpin_user_pages_dirty_lock" },
	{ 0x13c49cc2, "_copy_from_user" },
	{ 0x53d9f927, "__SCT__kvm_x86_get_cs_db_l_bits" },
	{ 0xe9d81ed8, "file_is_kvm" },
	{ 0x8d522714, "__rcu_read_lock" },
	{ 0x941f2aaa, "eventfd_ctx_put" },
	{ 0xc5b6f236, "queue_work_on" },
	{ 0x9291cd3b, "memdup_user" },
	{ 0x2155f701, "hrtimer_try_to_cancel" },
	{ 0x92540fbf, "finish_wait" },
	{ 0xea82d349, "hrtimer_init" },
	{ 0xfe202707, "register_ftrace_function" },
	{ 0x3b6c41ea, "kstrtouint" },
	{ 0x94961283, "vunmap" },
	{ 0x37a0cba, "kfree" },
	{ 0x8c26d495, "prepare_to_wait_event" },
	{ 0xa1bce3f0, "synchronize_srcu" },
	{ 0x34db050b, "_raw_spin_lock_irqsave" },
	{ 0xf0ebb70c, "kvm_put_kvm" },
	{ 0xba8fbd64, "_raw_spin_lock" },
	{ 0xcbd4898c, "fortify_panic" },
	{ 0x37a479f9, "kthread_use_mm" },
	{ 0xbdfb6dbb, "__fentry__" },
	{ 0xb0c7409d, "kvm_require_cpl" },
	{ 0x92997ed8, "_printk" },
	{ 0x1000e51, "schedule" },
	{ 0x4d06a092, "param_get_uint" },
	{ 0xa19b956, "__stack_chk_fail" },
	{ 0x296695f, "refcount_warn_saturate" },
	{ 0xa916b694, "strnlen" },
	{ 0x5d49aabc, "init_wait_var_entry" },
	{ 0x16e297c3, "bit_wait" },
	{ 0xc6cbbc89, "capable" },
	{ 0x5e332b52, "__var_waitqueue" },
	{ 0x7cd8d75e, "page_offset_base" },
	{ 0xecdcabd2, "copy_user_generic_unrolled" },
	{ 0x599fb41c, "kvmalloc_node" },
	{ 0xce543415, "ftrace_set_filter_ip" },
	{ 0x3ef022ec, "compat_ptr_ioctl" },
	{ 0x8e3e0f7d, "fault_in_readable" },
	{ 0x68f31cbd, "__list_add_valid" },
	{ 0xa1194a8a, "fput" },
	{ 0x6091797f, "synchronize_rcu" },
	{ 0xbbbb18b0, "__srcu_read_lock" },
	{ 0x2469810f, "__rcu_read_unlock" },
	{ 0xf33c2f36, "unregister_ftrace_function" },
	{ 0xb332b817, "gfn_to_hva_memslot" },
	{ 0xa85a3e6d, "xa_load" },
	{ 0xb04a43ad, "__xa_alloc_cyclic" },
	{ 0x8c03d20c, "destroy_workqueue" },
	{ 0x96bf6a2b, "__SCK__kvm_x86_get_cs_db_l_bits" },
	{ 0x4dfa8d4b, "mutex_lock" },
	{ 0x7d6b4546, "kvm_emulate_hypercall" },
	{ 0x1ebef5d5, "vmap" },
	{ 0x1f199d24, "copy_user_generic_string" },
	{ 0xd67364f7, "eventfd_ctx_fdget" },
	{ 0x46e7ef8, "kvm_get_kvm_safe" },
	{ 0xe1537255, "__list_del_entry_valid" },
	{ 0xcefb0c9f, "__mutex_init" },
	{ 0x68fb37ae, "current_task" },
	{ 0xd35cce70, "_raw_spin_unlock_irqrestore" },
	{ 0xf8f61ebc, "wake_up_var" },
	{ 0xd38cd261, "__default_kernel_pte_mask" },
	{ 0x30c6b1b0, "tracepoint_srcu" },
	{ 0xc0b7c197, "hrtimer_start_range_ns" },
	{ 0x844c8938, "misc_register" },
	{ 0x9166fc03, "__flush_workqueue" },
	{ 0x5b8239ca, "__x86_return_thunk" },
	{ 0x6b10bee1, "_copy_to_user" },
	{ 0xb3687850, "out_of_line_wait_on_bit_lock" },
	{ 0xe2d5255a, "strcmp" },
	{ 0x241276ff, "nonseekable_open" },
	{ 0x7dcf4135, "__xa_insert" },
	{ 0x745a981, "xa_erase" },
	{ 0x21271fd0, "copy_user_enhanced_fast_string" },
	{ 0xdd64e639, "strscpy" },
	{ 0x28aa6a67, "call_rcu" },
	{ 0xbaf22757, "kvfree_call_rcu" },
	{ 0x30b9b182, "mmput" },
	{ 0x3213f038, "mutex_unlock" },
	{ 0x47c20f8a, "refcount_dec_not_one" },
	{ 0xd9491c14, "xa_destroy" },
	{ 0x8fa25c24, "xa_find" },
	{ 0x3c12dfe, "cancel_work_sync" },
	{ 0x9f2486aa, "__srcu_read_unlock" },
	{ 0x102fe6de, "hrtimer_cancel" },
	{ 0x67df4cd, "__tracepoint_kvm_exit" },
	{ 0x59387ba3, "__SCT__kvm_x86_cache_reg" },
	{ 0x625408f8, "kvm_vcpu_kick" },
	{ 0xcea12395, "kthread_unuse_mm" },
	{ 0xdf36914b, "xa_find_after" },
	{ 0x606e9d01, "kmalloc_trace" },
	{ 0xc1d8cfaf, "__fdget" },
	{ 0x60a13e90, "rcu_barrier" },
	{ 0xdf0f75c6, "eventfd_signal" },
	{ 0xa0fbac79, "wake_up_bit" },
	{ 0x7aa1756e, "kvfree" },
	{ 0xdfc9aac9, "kvm_skip_emulated_instruction" },
	{ 0xb5b54b34, "_raw_spin_unlock" },
	{ 0x44a6af3f, "kvm_get_kvm" },
	{ 0xe2c17b5d, "__SCT__might_resched" },
	{ 0x7a7caba8, "kmalloc_caches" },
	{ 0x1fb591fa, "tracepoint_probe_register" },
	{ 0x9060323f, "module_layout" },
};

MODULE_INFO(depends, "kvm");

