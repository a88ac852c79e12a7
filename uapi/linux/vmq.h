/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * vmq: VM queues for KVM.
 *
 * vmq lets virtual machines on one KVM host send each other messages through
 * the hypervisor. Every VM owns one receive queue, a ring that lives in the
 * VM's own memory: the host writes messages into it and the guest reads them
 * with no VM exit. A guest sends with a hypercall; the host copies the
 * payload into the receiver's ring and stamps the header with the sender's
 * true, host-assigned identity. A full ring refuses the message with -EAGAIN:
 * nothing is ever dropped silently. Nothing flows until the host allows it:
 * sending from VM A to VM B requires that the host allowed the pair (A, B).
 *
 * Identities
 * ----------
 * Every VM known to vmq has a VM id: a non-zero 32-bit number that the host
 * assigns and never reuses while the module is loaded, and an optional name.
 * A VMM attaches its VM by handing its KVM VM file descriptor to /dev/vmq
 * (VMQ_IOC_ATTACH_VM), and may get back a VM handle that acts on that VM
 * only. A VM that was never attached is adopted on its first
 * vmq hypercall, so that a stock VMM works too. A VM leaves vmq when KVM
 * destroys it.
 *
 * Hypercalls
 * ----------
 * The calling convention is KVM's own (Documentation/virt/kvm/x86/hypercalls.rst):
 * the guest executes VMCALL (Intel) or VMMCALL (AMD) at CPL 0 with the
 * hypercall number in RAX and up to four arguments in RBX, RCX, RDX and RSI.
 * The result comes back in RAX: zero or a positive value on success, a
 * negative errno value on failure. Outside 64-bit mode the number, arguments
 * and result are truncated to 32 bits, as KVM does. A call from CPL > 0 does
 * nothing but raise #GP(0) in the guest, so guest user space can never reach
 * vmq (KVM itself answers -KVM_EPERM there; vmq uses only exported KVM
 * interfaces, and the exported privilege check is the one that injects #GP).
 * Only VMQ_HC_INFO and VMQ_HC_COPY (RBX) write registers other than RAX.
 *
 * vmq numbers live in a private range (VMQ_HC_BASE, "VMQ\0" in ASCII) far
 * from KVM's, Xen's and Hyper-V's; every other number reaches KVM untouched.
 * A number inside the range that this ABI version does not define returns
 * -EOPNOTSUPP. Guests with Hyper-V hypercalls enabled (a Hyper-V guest OS id
 * written) or with Xen hypercall interception are left entirely to KVM.
 *
 * VMQ_HC_INFO ()
 *	RAX = 0, RBX = VMQ_ABI_VERSION, RCX = the caller's VM id,
 *	RDX = VMQ_FEAT_* bits, RSI = the largest payload VMQ_HC_SEND accepts.
 *
 * VMQ_HC_QUEUE_REGISTER (gpa, size, flags)
 *	Makes the ring at guest-physical address @gpa, @size bytes long, the
 *	caller's receive queue. @gpa is page aligned. @size is one header page
 *	plus a data area whose size is a power of two between
 *	VMQ_RING_DATA_MIN and VMQ_RING_DATA_MAX. The guest must first write
 *	VMQ_RING_MAGIC to vmq_ring_hdr.magic and zero everything else of the
 *	header; the host fills in data_size. @flags must be zero. The host pins
 *	the pages until the queue is unregistered or the VM dies, so they
 *	must be ordinary writable guest RAM, and not part of a page window
 *	(whose pages may move to another VM).
 *	Errors: -EINVAL (alignment, size, flags, magic), -EFAULT (not RAM, not
 *	writable, or window memory), -EBUSY (a queue is already registered),
 *	-ENOSPC (the
 *	data area exceeds the VM's VMQ_A_QUOTA_MAX_QUEUE), -ENOMEM.
 *
 * VMQ_HC_QUEUE_UNREGISTER ()
 *	Forgets the receive queue; undelivered messages in it stay in guest
 *	memory, which the guest owns again. Errors: -ENOTCONN (none registered).
 *
 * VMQ_HC_SEND (dest, gpa, len, tag)
 *	Sends the @len bytes at guest-physical address @gpa (they may cross
 *	pages, but not leave guest RAM) to VM @dest. The message carries the
 *	caller's VM id, type VMQ_MSG_DATA and the 64-bit @tag, which vmq
 *	passes through untouched. The payload is copied once, from the
 *	sender's memory straight into the receiver's ring.
 *	Returns 0 once the message is in the receiver's ring.
 *	Errors, each counted per VM (enum vmq_counter):
 *	  -EACCES	the host has not allowed (caller, @dest); also when
 *			@dest is no VM at all: a guest cannot tell a VM it
 *			may not reach from one that does not exist
 *	  -EMSGSIZE	@len exceeds the host's limit or the caller's
 *			VMQ_A_QUOTA_MAX_MSG, or the record would exceed half
 *			of the receiver's data area
 *	  -EFAULT	the payload is not readable guest RAM
 *	  -ENOTCONN	@dest has no receive queue registered
 *	  -EAGAIN	the receiver's ring has no room now; nothing was
 *			written; retry after the receiver consumed
 *	  -EPIPE	the receiver's ring header is corrupt (the receiver
 *			broke the ring contract); nothing was written
 *
 * VMQ_HC_TX_REGISTER (gpa, size, flags)
 *	Makes the ring at @gpa, @size bytes long, the calling vCPU's transmit
 *	ring (struct vmq_tx_hdr, then descriptors). @size is one header page
 *	plus a power-of-two number of pages of struct vmq_tx_desc. The guest
 *	writes VMQ_TX_MAGIC to magic and zeroes the rest of the header first;
 *	the host fills in nr_desc. @flags must be zero. Same errors as
 *	VMQ_HC_QUEUE_REGISTER.
 *
 * VMQ_HC_TX_UNREGISTER ()
 *	Forgets the calling vCPU's transmit ring, after delivering what was
 *	published in it. Errors: -ENOTCONN.
 *
 * VMQ_HC_TX_FLUSH ()
 *	Delivers every descriptor published in the calling vCPU's transmit ring
 *	now ("immediate" policy) and returns how many it completed. Without
 *	it, published descriptors are delivered at the vCPU's next VM exit of
 *	any kind ("lazy" policy): no hypercall, no extra exit. VMQ_HC_SEND
 *	flushes the ring first, so lazy and immediate sends of one vCPU reach
 *	each receiver in program order. Errors: -ENOTCONN, -EINTR (only
 *	while the VMM is being killed).
 *
 * VMQ_HC_WAIT (timeout_ns)
 *	Blocking receive. When the caller's receive queue holds messages,
 *	returns their number at once. Otherwise the vCPU halts, exactly as on
 *	HLT (the host runs other work; interrupts for the vCPU, signals to the
 *	VMM thread and KVM_RUN's immediate_exit behave as they do for a halted
 *	vCPU), until a message arrives in its queue, an interrupt is
 *	deliverable to it, or @timeout_ns nanoseconds pass; it then returns 0
 *	and the guest looks at its queue. @timeout_ns is at most
 *	VMQ_WAIT_MAX_NS. Lazy sends the vCPU published before go first, as
 *	for VMQ_HC_SEND: answering through the transmit ring and then waiting
 *	for the next message costs one exit (vmqg_tx_send_wait()). Errors:
 *	-ENOTCONN (no receive queue), -EINVAL (timeout too long), -EOPNOTSUPP
 *	(the VM has no in-kernel local APIC).
 *
 * VMQ_HC_LOOKUP (gpa, len)
 *	A guest resolves the peer name at guest-physical @gpa, @len bytes (no
 *	NUL, at most VMQ_NAME_MAX - 1), to a VM id. Only peers the caller may
 *	send to are found: any other name gives -ESRCH, whether it exists or
 *	not. Errors: -EINVAL (length), -EFAULT, -ESRCH.
 *
 * Page windows and page transfer
 * ------------------------------
 * A whole page can move from one VM to another with no byte copied: vmq
 * changes what the second-level page tables (NPT/EPT, or KVM's shadow page
 * tables) map. Pages move only between windows: memory that vmq owns, that
 * the VMM maps with mmap(MAP_SHARED) of a window fd (VMQ_IOC_WINDOW_CREATE,
 * or a window node, below) and registers as guest memory with KVM_SET_USER_MEMORY_REGION, the whole
 * window in one memslot mapped by one mapping from its start. A window is an
 * array of slots of one page size, 4 KiB or 2 MiB; a slot of a window bound
 * to a VM is either held by the guest (its memory, which it may send) or in
 * its receive pool (free, where arriving pages land).
 *
 * VMQ_HC_WINDOW_BIND (gpa, size, flags)
 *	The window that the caller sees at guest-physical @gpa, @size bytes,
 *	becomes its page window; @gpa is aligned to the window's page size.
 *	Every slot starts held by the guest. A VM binds one window at a time;
 *	a window is bound to one VM. When the VMM deletes or moves the
 *	memslot that holds the window, vmq unbinds it (pages it received are
 *	no longer in flight) and the guest may bind it again where it now is.
 *	@flags: 0, or VMQ_WINDOW_OWN_BYTES: the page that comes back into a
 *	slot the caller sends from may hold bytes the caller itself sent
 *	earlier instead of zeroes (a page it sent that its receiver freed
 *	without writing it); this spares vmq clearing it. A vmq that predates
 *	the flag ignores it and always gives zeroes, which the flag allows.
 *	Errors: -EINVAL (alignment, @size is not the window's size, not mapped
 *	from its start, unknown @flags), -EFAULT (not a vmq window, not one
 *	writable memslot), -EBUSY (already bound).
 *
 * VMQ_HC_PAGE_SEND (dest, gpa, tag)
 *	Moves the page in the caller's held slot at @gpa into a free slot of
 *	VM @dest's window. Before the call returns, the page is gone from the
 *	caller's second-level mappings and TLBs, and the slot at @gpa holds a
 *	zeroed page instead (or, with VMQ_WINDOW_OWN_BYTES, perhaps a page of
 *	bytes the caller sent earlier); @dest gets a VMQ_MSG_PAGE record (struct
 *	vmq_page_msg: the guest-physical address where the page now is, and
 *	its size) with the caller's id and @tag. The slot there is held by
 *	@dest, which may send it onward or free it. A page moves only when
 *	the mappings vmq removed were the only way to reach it and to reach
 *	@dest's free page: no reference or pin on either is left by anyone
 *	else (I/O in flight, a pipe, DMA, KVM's own maps); otherwise -EBUSY
 *	and nothing moves. Errors: -EACCES (as VMQ_HC_SEND), -ENOTCONN (the
 *	caller or @dest has no window bound, or @dest no receive queue),
 *	-EINVAL (@gpa is no held slot of the caller's window), -EMSGSIZE (the
 *	windows' page sizes differ), -EAGAIN (@dest has no free slot, or its
 *	queue is full: the page stays with the caller), -ENOSPC (the caller's
 *	VMQ_A_QUOTA_MAX_PAGES pages are in flight), -EBUSY (a page is still
 *	reachable otherwise; try again later), -EPIPE. A page is in flight,
 *	charged to its latest sender, until its receiver frees it, sends it
 *	on, or goes away.
 *
 * VMQ_HC_PAGE_FREE (gpa)
 *	Puts the caller's held slot at @gpa into its receive pool; the guest
 *	must not use its contents any more. vmq clears it in the background:
 *	until then the guest may still read its old contents, afterwards
 *	zeroes (or still the old contents, if the page is one that a VM bound
 *	with VMQ_WINDOW_OWN_BYTES sent and the caller never wrote: it is kept
 *	for that VM, not cleared); whatever it writes there meanwhile is lost
 *	(cleared before the page reaches anyone else) and only makes the next
 *	send into its pool clear the page itself. Errors: -ENOTCONN (no window bound), -EINVAL
 *	(not a held slot).
 *
 * Cross-guest copy
 * ----------------
 * A guest can also copy bytes from its own memory straight into another
 * guest's, both named by guest-virtual address: one copy end to end, where
 * a message costs two (into the ring, out of it). The receiver publishes a
 * destination, a grant; the sender copies into (receiver, grant, offset).
 * Both sides are translated through guest page tables that vmq walks
 * itself (4-level paging, 4 KiB, 2 MiB and 1 GiB pages), at the time of
 * the copy: a copy that starts after a guest page-table write has
 * completed, on any vCPU, uses the new translation (a stronger promise than
 * the x86 TLB rule, under which a stale translation may live until the
 * guest flushes). Only 64-bit callers in 4-level paging (long mode, not
 * LA57, not running a nested guest) may use these calls; others get
 * -EOPNOTSUPP. Host writes through these calls are not seen by KVM's dirty
 * logging (as for receive rings): migrating a VM while it receives copies
 * is not supported.
 *
 * VMQ_HC_GRANT (gva, len, flags, sender)
 *	Publishes the @len bytes at guest-virtual @gva, in the address space
 *	of the calling vCPU's current CR3 (its PCID bits and the no-flush bit
 *	are ignored), as a destination that VM @sender may write with
 *	VMQ_HC_COPY. With VMQ_GRANT_USER in @flags the range is a user range:
 *	every page must be user-accessible at every level; without it, a
 *	supervisor range. Every page must be present and writable at every
 *	level when a copy reaches it (not when granting). With
 *	VMQ_GRANT_RECORD the receiver gets a VMQ_MSG_COPY record for every
 *	copy into the grant. Returns the grant's id (> 0), the caller's own
 *	and unique among its grants while it lives. Errors: -EINVAL (@len 0
 *	or above VMQ_GRANT_MAX, the range wraps or is not canonical, @flags,
 *	@sender 0 or not a VM id), -ENOSPC (the caller holds
 *	VMQ_A_QUOTA_MAX_GRANTS grants, or VMQ_GRANTS_MAX), -EOPNOTSUPP,
 *	-ENOMEM.
 *
 * VMQ_HC_GRANT_REVOKE (grant)
 *	Withdraws one of the caller's grants. Once it returns, no copy writes
 *	into the grant any more: a copy running when it was called stops
 *	before its next guest page (that copy's RBX is -ENOENT), and the call
 *	waits for it; the guest may then reuse the pages and the page tables
 *	behind the range. Errors: -ENOENT.
 *
 * VMQ_HC_COPY (dest << 32 | grant, offset, src_gva, len | flags << 32)
 *	Copies @len bytes (at most VMQ_COPY_MAX) from the caller's
 *	guest-virtual @src_gva, translated through the calling vCPU's current
 *	page tables (as a user access with VMQ_COPY_USER in @flags, else as a
 *	supervisor one), to byte @offset of grant @grant of VM @dest. Pages
 *	may cross on both sides with unrelated layouts. Lazy sends the vCPU
 *	published before go first, as for VMQ_HC_SEND.
 *	Returns in RAX the number of bytes copied; RBX is 0 when all @len
 *	bytes were copied (and the record the grant asks for is in @dest's
 *	queue), else the negative errno that stopped the copy part-way (or
 *	kept the record out): a copy never stops short silently. When nothing
 *	was copied, RAX is that negative errno. Errors: -EACCES (as
 *	VMQ_HC_SEND: (caller, @dest) not allowed, or no such VM), -ENOENT (no
 *	such grant, revoked, or not for the caller), -ERANGE (@offset + @len
 *	beyond the grant), -EFAULT (a page of either range not present or not
 *	guest RAM), -EPERM (a page present but not readable / writable at
 *	the privilege asked: a read-only destination, a user grant over a
 *	supervisor page, a user source in a supervisor page), -EMSGSIZE (@len
 *	above VMQ_COPY_MAX), -EINVAL (@flags), -EOPNOTSUPP, and for the
 *	record the errors of VMQ_HC_SEND's ring (-ENOTCONN, -EAGAIN, -EPIPE).
 *
 * Transmit ring
 * -------------
 * Per vCPU. The guest is the producer: it fills struct vmq_tx_desc entries
 * (status set to VMQ_TX_PENDING), then store-releases prod, a free-running
 * descriptor count. The host is the consumer: it load-acquires prod, reads
 * each descriptor once, delivers it as VMQ_HC_SEND would, writes the result
 * (0 or one of VMQ_HC_SEND's negative errors) to status, and store-releases
 * cons after the status. A descriptor is the guest's again once cons has
 * passed it. A descriptor with VMQ_TX_F_PAGE in flags is a page send
 * instead: delivered as VMQ_HC_PAGE_SEND (dest, gpa, tag) would be, with len
 * zero (else -EINVAL); the page at gpa stays the guest's until the
 * descriptor completes, so the guest leaves it alone until then, and after
 * a status of 0 the slot holds a zeroed page. Page descriptors are moved in
 * process context shortly after the exit that found them, still in ring
 * order; consecutive ones to one receiver (up to 64) move as one batch that
 * invalidates the windows' mappings once, not once per page (one TLB flush
 * of each VM for adjacent slots), so publish several before the exit.
 * Any other flags value completes with -EINVAL.
 * One exit delivers at most 64 descriptors and 256 KiB of payload in place
 * (the host copies there with preemption off); what is left is delivered
 * right after in process context, still in ring order, and the exit is
 * counted as VMQ_CTR_LAZY_DEFERRED.
 * A prod more than nr_desc ahead of cons makes the ring corrupt:
 * the host stops consuming it (counted as VMQ_CTR_ERR_BROKEN) until the
 * guest re-registers it.
 *
 * Receive ring
 * ------------
 * Page 0 of the ring is struct vmq_ring_hdr, the rest is the data area of
 * data_size bytes. Offsets are free-running u32 byte counters; the position
 * in the data area is the counter modulo data_size. The host is the only
 * producer and owns prod_head and prod_msgs; the guest is the only consumer
 * and owns cons_tail and cons_msgs. Each lives on its own cache line.
 *
 * Every record starts at a multiple of VMQ_MSG_ALIGN with a struct
 * vmq_msg_hdr, followed by @len payload bytes, and occupies
 * VMQ_MSG_RECORD_SIZE(len) bytes. A record never wraps: when the space left
 * before the end of the data area is too short, the host fills it with a
 * record of type VMQ_MSG_PAD (its len covers the padding after the header),
 * which the guest skips. A record is at most half of the data area, so a
 * drained ring always has room for any message the host accepts.
 *
 * Memory ordering (the contract; see Documentation/vmq/ring.rst):
 *  - the host writes the record, then publishes it with a store-release of
 *    prod_head, then store-releases prod_msgs (which is advisory);
 *  - the guest load-acquires prod_head, reads every record below it, then
 *    store-releases cons_tail (and cons_msgs) to hand the space back;
 *  - the host load-acquires cons_tail before reusing space; a cons_tail
 *    outside [prod_head - data_size, prod_head] makes the ring corrupt
 *    (-EPIPE to senders) until the guest fixes it; the host never trusts
 *    anything else the guest writes into the header.
 * The queue length, with no VM exit, is prod_msgs - cons_msgs messages, or
 * prod_head - cons_tail bytes (both after a load-acquire of prod_head).
 *
 * Which host interface does what
 * ------------------------------
 * One rule, applied everywhere: what hands a file descriptor in or out is an
 * ioctl (attaching a VM by its KVM fd, an arrival eventfd, a page window);
 * what a VMM does for its own VM goes through that VM's handle, also
 * ioctls; everything an administrator reads or decides across VMs (names,
 * pairs, introductions, quotas, counters, module-wide statistics, events)
 * is generic netlink and only there.
 *
 * Control device
 * --------------
 * /dev/vmq (mode 0600) carries the ioctls below. They return 0 or a
 * negative errno through errno as usual. A descriptor opened with
 * CAP_SYS_ADMIN (the administrator's) may use them all, on every VM; one
 * opened without it may only attach its own VM for a VM handle (below), and
 * gets -EPERM for everything else. Numbers 0x01, 0x02 and 0x04 (allowing
 * and revoking pairs, statistics, in the first drafts) are retired: netlink
 * does that, and they answer -ENOTTY.
 *
 * VMQ_IOC_ATTACH_VM (struct vmq_attach)
 *	Attaches the VM behind KVM VM fd @vm_fd, names it @name (optional,
 *	NUL-terminated, unique) and returns its id in @id. Attaching a VM that
 *	was already adopted or attached returns its existing id and renames it
 *	when @name is non-empty. With VMQ_ATTACH_HANDLE in @flags it also
 *	returns a VM handle in @handle: a new close-on-exec file descriptor
 *	that acts on this VM only (the VM's KVM fd proves that the caller runs
 *	it, so no privilege is needed; naming still is). Errors: -EBADF,
 *	-EINVAL (not a KVM VM fd, flags, @handle not zero, unterminated name),
 *	-EPERM (no privilege, and no handle asked for or a name given),
 *	-EEXIST (name taken), -ENOMEM, -EMFILE.
 * VMQ_IOC_SET_NOTIFY (struct vmq_notify)
 *	Gives VM @id an arrival notification: vmq signals @eventfd when a
 *	message lands in the VM's empty receive queue while the guest has
 *	VMQ_RING_F_NOTIFY set in cons_flags. The VMM wires the eventfd to a
 *	guest interrupt with KVM_IRQFD (an MSI route or a GSI). @eventfd -1
 *	removes it. Errors: -ESRCH, -EBADF, -EINVAL.
 * VMQ_IOC_WINDOW_CREATE (struct vmq_window_create)
 *	Creates a page window of @size bytes made of @page_size pages (4 KiB
 *	or 2 MiB), allocated at once and charged to the caller's memory
 *	cgroup, and returns it as a new file descriptor (close-on-exec) in
 *	@fd. The window lives while the fd, a mapping of it, or a VM bound to
 *	it exists. Errors: -EINVAL (sizes, flags), -ENOMEM.
 *
 * VM handles
 * ----------
 * What a VMM needs for its own VM, and nothing that reaches another VM: a
 * sandboxed VMM keeps its handle and never holds /dev/vmq. A handle takes
 * these ioctls, with the same structures:
 *
 * VMQ_IOC_SET_NOTIFY: @id is 0 or the handle's VM (else -EPERM).
 * VMQ_IOC_VM_INFO (struct vmq_vm_info): the handle's own VM, what
 *	VMQ_CMD_GET_VM tells an administrator about it. @id is 0 or the
 *	handle's VM (else -EPERM); @flags is 0 (else -EINVAL).
 * VMQ_IOC_WINDOW_CREATE: as on /dev/vmq.
 *
 * Any other ioctl gives -ENOTTY. Once KVM destroyed the VM, the handle's
 * calls give -ESRCH. An open handle (like a window) keeps vmq loaded.
 *
 * Window nodes
 * ------------
 * For VMMs that can only open a path (QEMU's memory-backend-file), every
 * open() of /dev/vmq-window (4 KiB pages) or /dev/vmq-window-2m (2 MiB
 * pages), mode 0600 and CAP_SYS_ADMIN at open(), is a new, empty
 * window. Its first mmap(MAP_SHARED),
 * from offset 0, sizes it (a multiple of the page size, at most 4 GiB) and
 * allocates its pages, charged to the caller's memory cgroup; later
 * mappings must fit in that size. The file has no size (lseek() fails with
 * -ESPIPE, ftruncate() with -EINVAL). Otherwise it is a window like one
 * from VMQ_IOC_WINDOW_CREATE. mmap errors: -EINVAL (private mapping,
 * first mapping not from offset 0, bad size, past the end), -ENOMEM.
 *
 * Generic netlink
 * ---------------
 * Family VMQ_GENL_NAME, version VMQ_GENL_VERSION, in the initial network
 * namespace. Every command needs CAP_NET_ADMIN, reading included, and so
 * does joining the events group: VM names, host PIDs, the permission graph,
 * counters and refused sends describe other users' VMs. A refused command
 * gets -EPERM (a refused dump ends with -EPERM in NLMSG_DONE), and every
 * error carries an extended ACK message naming what was wrong, and the
 * offending attribute where there is one. VMs are named by VMQ_A_VM_ID or
 * VMQ_A_VM_NAME (the id wins when both are given); pair commands name the
 * second VM with VMQ_A_PEER_ID or VMQ_A_PEER_NAME.
 *
 * VMQ_CMD_GET_VM (dump, or do with a VM)
 *	Replies one VMQ_CMD_GET_VM message per VM: VMQ_A_VM_ID, VMQ_A_VM_NAME
 *	(when named), VMQ_A_VM_PID, VMQ_A_VM_QUEUE_SIZE, VMQ_A_VM_QUEUE_BYTES,
 *	VMQ_A_VM_QUEUE_MSGS, VMQ_A_VM_PAGES_IN_FLIGHT, VMQ_A_VM_PEERS (nested
 *	VMQ_A_PEER_ID: the VMs it may send to), VMQ_A_VM_QUOTAS (nested
 *	VMQ_A_QUOTA_*) and VMQ_A_VM_COUNTERS (nested; attribute type =
 *	enum vmq_counter + 1, each a u64). Errors: -ESRCH (no such VM).
 * VMQ_CMD_SET_VM (VM, VMQ_A_VM_NAME and/or VMQ_A_VM_QUOTAS)
 *	Renames the VM (by id: VMQ_A_VM_ID is required then) and/or sets its
 *	quotas: VMQ_A_QUOTA_MAX_MSG (largest payload it may send, at most the
 *	module's max_msg_size; 0 = the module's), VMQ_A_QUOTA_MAX_QUEUE
 *	(largest receive queue data area it may register; 0 = no limit) and
 *	VMQ_A_QUOTA_MAX_PAGES (pages it may have in flight; 0 = no limit) and
 *	VMQ_A_QUOTA_MAX_GRANTS (copy grants it may hold; 0 = VMQ_GRANTS_MAX).
 * VMQ_CMD_ALLOW, VMQ_CMD_REVOKE (VM, peer)
 *	Allow or revoke sends from the VM to the peer (one direction).
 *	Errors: -ESRCH (either VM unknown, or gone meanwhile), -ENOENT
 *	(revoking a pair that was not allowed), -ENOMEM.
 * VMQ_CMD_INTRODUCE (VM, peer)
 *	Allows both directions and conveys each VM's identity into the
 *	other's receive queue: a VMQ_MSG_IDENTITY record from sender 0 (the
 *	host) whose payload is a struct vmq_identity. Fails with -ENOTCONN
 *	when either has no receive queue, -EAGAIN when either queue is full;
 *	nothing is delivered then, and the pairs are left as they were.
 * VMQ_CMD_RESET_COUNTERS (VM, or none for every VM)
 *	Zeroes the counters.
 * VMQ_CMD_GET_STATS (do, no attributes)
 *	Replies VMQ_A_STATS: the module-wide statistics, nested, attribute
 *	type = enum vmq_stat + 1, each a u64. The live counts return to their
 *	baseline once the VMs that made them are gone: a leak shows as one
 *	that does not.
 * VMQ_CMD_GET_TABLES (dump, with a VM)
 *	One message per guest page table that vmq write-tracks for the VM's
 *	translation caches (Documentation/vmq/copy.rst): VMQ_A_VM_ID and
 *	VMQ_A_TABLE, nested enum vmq_table_attr: its guest-physical address,
 *	level (4: PML4 ... 1: page table), the virtual range it maps (where
 *	it was first met; VMQ_A_TABLE_ALIASED when met elsewhere too), the
 *	cached translations that depend on it and its trapped writes. Empty
 *	where KVM does not shadow the guest's page tables (TDP), since vmq
 *	tracks nothing there.
 * VMQ_CMD_EVENT (multicast group VMQ_GENL_MCGRP_EVENTS, never requested)
 *	VMQ_A_EVENT (enum vmq_event), VMQ_A_VM_ID, and where it applies
 *	VMQ_A_PEER_ID and VMQ_A_EVENT_ERROR (the negative errno).
 */
#ifndef _UAPI_LINUX_VMQ_H
#define _UAPI_LINUX_VMQ_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define VMQ_ABI_VERSION		1

/* Hypercall numbers: "VMQ\0" + n, far from KVM_HC_* (small integers). */
#define VMQ_HC_BASE		0x564d5100UL
#define VMQ_HC_INFO		(VMQ_HC_BASE + 0)
#define VMQ_HC_QUEUE_REGISTER	(VMQ_HC_BASE + 1)
#define VMQ_HC_QUEUE_UNREGISTER	(VMQ_HC_BASE + 2)
#define VMQ_HC_SEND		(VMQ_HC_BASE + 3)
#define VMQ_HC_TX_REGISTER	(VMQ_HC_BASE + 4)
#define VMQ_HC_TX_UNREGISTER	(VMQ_HC_BASE + 5)
#define VMQ_HC_TX_FLUSH		(VMQ_HC_BASE + 6)
#define VMQ_HC_WAIT		(VMQ_HC_BASE + 7)
#define VMQ_HC_LOOKUP		(VMQ_HC_BASE + 8)
#define VMQ_HC_WINDOW_BIND	(VMQ_HC_BASE + 9)
#define VMQ_HC_PAGE_SEND	(VMQ_HC_BASE + 10)
#define VMQ_HC_PAGE_FREE	(VMQ_HC_BASE + 11)
#define VMQ_HC_GRANT		(VMQ_HC_BASE + 12)
#define VMQ_HC_GRANT_REVOKE	(VMQ_HC_BASE + 13)
#define VMQ_HC_COPY		(VMQ_HC_BASE + 14)
/* One past the last number this ABI defines; the range itself spans 256. */
#define VMQ_HC_NR		(VMQ_HC_BASE + 15)
#define VMQ_HC_RANGE		256

/* VMQ_HC_WINDOW_BIND flags. */
#define VMQ_WINDOW_OWN_BYTES	_BITUL(0)	/* own bytes back, not zeroes */

/* Feature bits reported by VMQ_HC_INFO in RDX. */
#define VMQ_FEAT_SEND		_BITUL(0)	/* VMQ_HC_SEND, receive ring */
#define VMQ_FEAT_LAZY		_BITUL(1)	/* transmit ring, VMQ_HC_TX_* */
#define VMQ_FEAT_WAIT		_BITUL(2)	/* VMQ_HC_WAIT */
#define VMQ_FEAT_NOTIFY		_BITUL(3)	/* VMQ_RING_F_NOTIFY */
#define VMQ_FEAT_PAGES		_BITUL(4)	/* windows, VMQ_HC_PAGE_* */
#define VMQ_FEAT_COPY		_BITUL(5)	/* VMQ_HC_GRANT*, VMQ_HC_COPY */

/* VMQ_HC_GRANT flags, limits; VMQ_HC_COPY flags. */
#define VMQ_GRANT_USER		_BITUL(0)	/* a user range */
#define VMQ_GRANT_RECORD	_BITUL(1)	/* a VMQ_MSG_COPY per copy */
#define VMQ_GRANT_MAX		_BITULL(30)	/* bytes in one grant */
#define VMQ_GRANTS_MAX		1024		/* grants one VM may hold */
#define VMQ_COPY_USER		_BITUL(0)	/* source is a user range */
#define VMQ_COPY_MAX		_BITUL(24)	/* bytes in one VMQ_HC_COPY */

#define VMQ_WAIT_MAX_NS		10000000000ULL	/* 10 s */

#define VMQ_NAME_MAX		32	/* including the terminating NUL */

/* Ring geometry. */
#define VMQ_RING_MAGIC		0x52514d56U	/* "VMQR" little endian */
#define VMQ_RING_HDR_SIZE	4096U
#define VMQ_RING_DATA_MIN	4096U
#define VMQ_RING_DATA_MAX	(16U << 20)

/*
 * Header page of a receive ring. Guest-owned fields are only ever read by
 * the host with a single load each and validated before use.
 */
struct vmq_ring_hdr {
	/* Cache line 0: set up by the guest, then data_size by the host. */
	__u32 magic;		/* VMQ_RING_MAGIC, written by the guest */
	__u32 data_size;	/* bytes in the data area, written by the host */
	__u32 reserved0[14];

	/* Cache line 1: producer, written by the host only. */
	__u32 prod_head;	/* free-running byte offset; store-release */
	__u32 prod_msgs;	/* free-running count of non-padding records */
	__u32 reserved1[14];

	/* Cache line 2: consumer, written by the guest only. */
	__u32 cons_tail;	/* free-running byte offset; store-release */
	__u32 cons_msgs;	/* free-running count of consumed messages */
	__u32 cons_flags;	/* VMQ_RING_F_* */
	__u32 reserved2[13];
};

/*
 * cons_flags: the guest asks for the arrival notification (an interrupt
 * the VMM wired up with VMQ_IOC_SET_NOTIFY) whenever a message lands in a
 * queue it had emptied. A guest that sleeps until then stores cons_tail,
 * issues a full barrier, and reads prod_head once more before it sleeps;
 * the host reads cons_tail after a full barrier once the record is
 * published, so one of the two sees the other.
 */
#define VMQ_RING_F_NOTIFY	_BITUL(0)

/* Transmit ring: one header page, then nr_desc descriptors. */
#define VMQ_TX_MAGIC		0x54514d56U	/* "VMQT" little endian */
#define VMQ_TX_PENDING		1		/* status before completion */
#define VMQ_TX_F_PAGE		_BITUL(0)	/* a page send, not a copy */

struct vmq_tx_hdr {
	__u32 magic;		/* VMQ_TX_MAGIC, written by the guest */
	__u32 nr_desc;		/* written by the host at registration */
	__u32 reserved0[14];

	__u32 prod;		/* guest: descriptors published; store-release */
	__u32 reserved1[15];

	__u32 cons;		/* host: descriptors completed; store-release */
	__u32 reserved2[15];
};

struct vmq_tx_desc {
	__u32 dest;		/* destination VM id */
	__u32 len;		/* payload bytes */
	__u64 gpa;		/* payload guest-physical address */
	__u64 tag;		/* passed through to the receiver */
	__s32 status;		/* guest: VMQ_TX_PENDING; host: 0 or -errno */
	__u32 flags;		/* 0 (a copy) or VMQ_TX_F_PAGE */
};

/* Record types. */
#define VMQ_MSG_PAD		0	/* skip: fills the end of the data area */
#define VMQ_MSG_DATA		1	/* payload from VMQ_HC_SEND */
#define VMQ_MSG_IDENTITY	2	/* struct vmq_identity, from the host */
#define VMQ_MSG_PAGE		3	/* struct vmq_page_msg, from the host */
#define VMQ_MSG_COPY		4	/* struct vmq_copy_msg, from the copier */

/* Payload of a VMQ_MSG_PAGE record: a page that arrived in the window. */
struct vmq_page_msg {
	__u64 gpa;		/* where the receiver now finds the page */
	__u64 size;		/* 4096 or 2 MiB */
};

/*
 * Payload of a VMQ_MSG_COPY record: @len bytes landed at byte @offset of
 * grant @grant (VMQ_GRANT_RECORD); the record's sender is the copier.
 */
struct vmq_copy_msg {
	__u32 grant;
	__u32 reserved;
	__u64 offset;
	__u64 len;
};

/* Payload of a VMQ_MSG_IDENTITY record: a peer the host introduced. */
struct vmq_identity {
	__u32 id;
	__u32 reserved;
	char name[VMQ_NAME_MAX];	/* NUL-terminated; empty if unnamed */
};

#define VMQ_MSG_ALIGN		32U
#define VMQ_MSG_RECORD_SIZE(len) \
	(((__u32)sizeof(struct vmq_msg_hdr) + (len) + VMQ_MSG_ALIGN - 1) & \
	 ~(VMQ_MSG_ALIGN - 1))

/* Header of every record in a receive ring; 32 bytes. */
struct vmq_msg_hdr {
	__u32 len;		/* payload bytes after this header */
	__u16 type;		/* VMQ_MSG_* */
	__u16 flags;		/* zero for now */
	__u32 sender;		/* sender's VM id, stamped by the host */
	__u32 seq;		/* per-queue sequence of non-PAD records, from 0 */
	__u64 tag;		/* the sender's tag, untouched */
	__u64 reserved;
};

/* Control device. */

#define VMQ_ATTACH_HANDLE	_BITUL(0)	/* return a VM handle */

struct vmq_attach {
	__s32 vm_fd;		/* in: KVM VM file descriptor */
	__u32 flags;		/* in: VMQ_ATTACH_HANDLE or zero */
	__u32 id;		/* out: the VM's id */
	__s32 handle;		/* in: zero; out: the VM handle, with the flag */
	char name[VMQ_NAME_MAX];	/* in: optional name, NUL-terminated */
};

/*
 * Per-VM counters. Every error a hypercall returns is counted under its
 * own index; the index order is ABI.
 */
enum vmq_counter {
	VMQ_CTR_TX_MSGS,	/* messages this VM sent */
	VMQ_CTR_TX_BYTES,	/* payload bytes this VM sent */
	VMQ_CTR_RX_MSGS,	/* messages delivered into this VM's queue */
	VMQ_CTR_RX_BYTES,	/* payload bytes delivered into this VM's queue */
	VMQ_CTR_ERR_NODEST,	/* -ESRCH (VMQ_HC_LOOKUP) */
	VMQ_CTR_ERR_DENIED,	/* -EACCES */
	VMQ_CTR_ERR_TOOBIG,	/* -EMSGSIZE */
	VMQ_CTR_ERR_FAULT,	/* -EFAULT */
	VMQ_CTR_ERR_NOQUEUE,	/* -ENOTCONN */
	VMQ_CTR_ERR_FULL,	/* -EAGAIN */
	VMQ_CTR_ERR_BROKEN,	/* -EPIPE */
	VMQ_CTR_ERR_INVAL,	/* -EINVAL, -EOPNOTSUPP, -ENOMEM */
	VMQ_CTR_ERR_PERM,	/* #GP: called from CPL > 0 */
	VMQ_CTR_HYPERCALLS,	/* every vmq hypercall this VM made */
	VMQ_CTR_LAZY_MSGS,	/* messages sent through transmit rings */
	VMQ_CTR_LAZY_EXITS,	/* VM exits that delivered transmit descriptors */
	VMQ_CTR_WAITS,		/* VMQ_HC_WAIT calls that halted the vCPU */
	VMQ_CTR_NOTIFIES,	/* arrival notifications signalled */
	VMQ_CTR_ERR_QUOTA,	/* refused by a quota (-EMSGSIZE, -ENOSPC) */
	VMQ_CTR_PAGES_TX,	/* pages this VM sent (VMQ_HC_PAGE_SEND) */
	VMQ_CTR_PAGES_RX,	/* pages that arrived in this VM's window */
	VMQ_CTR_ERR_BUSY,	/* -EBUSY: already registered, page in use */
	VMQ_CTR_LAZY_DEFERRED,	/* exits that left descriptors to a worker */
	VMQ_CTR_COPIES,		/* VMQ_HC_COPY calls that copied something */
	VMQ_CTR_COPY_TX_BYTES,	/* bytes this VM copied into others */
	VMQ_CTR_COPY_RX_BYTES,	/* bytes others copied into its grants */
	VMQ_CTR_GPT_WALKS,	/* guest page-table walks for its copies */
	VMQ_CTR_ERR_NOGRANT,	/* -ENOENT: no such grant */
	VMQ_CTR_ERR_PROT,	/* -EPERM: a page not writable / readable */
	VMQ_CTR_TC_HITS,	/* translations found in a cache */
	VMQ_CTR_TC_MISSES,	/* translations walked for a cache */
	VMQ_CTR_PT_WRITES,	/* its trapped page-table writes */
	VMQ_CTR_PATCHES,	/* patches its writes produced */
	VMQ_CTR_PATCHES_APPLIED,	/* patches its caches applied */
	VMQ_CTR_PATCHES_INVALID,	/* ... that invalidated: stale token */
	VMQ_CTR_TC_OVERFLOWS,	/* caches dropped whole: a patch was lost */
	VMQ_CTR_PT_RELEASED,	/* tables unprotected after a write flood */
	VMQ_CTR_NR
};

/* Room for counters in struct vmq_vm_info, present and to come. */
#define VMQ_CTR_SLOTS		64

struct vmq_vm_info {
	__u32 id;		/* in/out */
	__u32 flags;		/* in: zero */
	__s32 pid;		/* out: thread group that created the VM */
	__u32 queue_size;	/* out: data_size of the receive queue, 0: none */
	__u32 queue_bytes;	/* out: bytes waiting in the receive queue */
	__u32 queue_msgs;	/* out: messages waiting in the receive queue */
	char name[VMQ_NAME_MAX];	/* out */
	__u32 quota_max_msg;	/* out: VMQ_A_QUOTA_MAX_MSG */
	__u32 quota_max_queue;	/* out: VMQ_A_QUOTA_MAX_QUEUE */
	__u32 quota_max_pages;	/* out: VMQ_A_QUOTA_MAX_PAGES */
	__u32 pages_in_flight;	/* out: pages it sent that receivers hold */
	__u32 nr_counters;	/* out: counters the module has (VMQ_CTR_NR) */
	__u32 quota_max_grants;	/* out: VMQ_A_QUOTA_MAX_GRANTS */
	/*
	 * out: enum vmq_counter. Fixed room, so that new counters never
	 * change the structure's size, nor so VMQ_IOC_VM_INFO's number: slots
	 * past nr_counters read as zero.
	 */
	__u64 counters[VMQ_CTR_SLOTS];
};

struct vmq_notify {
	__u32 id;		/* VM */
	__s32 eventfd;		/* signalled on arrivals; -1 removes it */
};

/* VMQ_IOC_WINDOW_CREATE: a page window, returned as a file descriptor. */
struct vmq_window_create {
	__u64 size;		/* in: bytes, a multiple of page_size */
	__u32 page_size;	/* in: 4096 or 2097152 */
	__u32 flags;		/* in: zero */
	__s32 fd;		/* out: the window, to mmap(MAP_SHARED) */
	__u32 reserved;
};

/* Module-wide statistics (VMQ_CMD_GET_STATS). */
enum vmq_stat {
	VMQ_STAT_LIVE_VMS,		/* VMs known to vmq */
	VMQ_STAT_LIVE_QUEUES,		/* registered receive queues */
	VMQ_STAT_PINNED_PAGES,		/* guest pages pinned for rings */
	VMQ_STAT_LIVE_PAIRS,		/* allowed (sender, receiver) pairs */
	VMQ_STAT_VMS_CREATED,		/* VMs attached or adopted since load */
	VMQ_STAT_VMS_DESTROYED,		/* VMs released since load */
	VMQ_STAT_LIVE_TX_RINGS,		/* registered transmit rings */
	VMQ_STAT_LIVE_WAITS,		/* vCPUs halted in VMQ_HC_WAIT */
	VMQ_STAT_BYTES_COPIED,		/* payload bytes copied by sends, ever */
	VMQ_STAT_LIVE_WINDOWS,		/* page windows */
	VMQ_STAT_WINDOW_PAGES,		/* 4 KiB pages owned by windows */
	VMQ_STAT_PAGES_IN_FLIGHT,	/* pages sent, not yet freed or forwarded */
	VMQ_STAT_LIVE_GRANTS,		/* copy grants */
	VMQ_STAT_TRACKED_TABLES,	/* guest page tables write-tracked */
	VMQ_STAT_POOL_CLEAN_PAGES,	/* 4 KiB pages of receive pools cleared, ready */
	VMQ_STAT_SEND_CLEARS,		/* pages a send had to clear itself, ever */
	VMQ_STAT_OWN_RETURNS,		/* pages given back uncleared to their sender */
	VMQ_STAT_POOL_OWN_PAGES,	/* 4 KiB pages of receive pools kept for their sender */
	VMQ_STAT_NR
};

/* Ioctl numbers 0x01, 0x02 and 0x04 are retired: never reuse them. */
#define VMQ_IOC_MAGIC		0xB8
#define VMQ_IOC_ATTACH_VM	_IOWR(VMQ_IOC_MAGIC, 0x00, struct vmq_attach)
#define VMQ_IOC_VM_INFO		_IOWR(VMQ_IOC_MAGIC, 0x03, struct vmq_vm_info)
#define VMQ_IOC_SET_NOTIFY	_IOW(VMQ_IOC_MAGIC, 0x05, struct vmq_notify)
#define VMQ_IOC_WINDOW_CREATE	_IOWR(VMQ_IOC_MAGIC, 0x06, struct vmq_window_create)

/* Generic netlink. */
#define VMQ_GENL_NAME		"vmq"
#define VMQ_GENL_VERSION	1
#define VMQ_GENL_MCGRP_EVENTS	"events"

enum vmq_cmd {
	VMQ_CMD_UNSPEC,
	VMQ_CMD_GET_VM,
	VMQ_CMD_SET_VM,
	VMQ_CMD_ALLOW,
	VMQ_CMD_REVOKE,
	VMQ_CMD_INTRODUCE,
	VMQ_CMD_RESET_COUNTERS,
	VMQ_CMD_EVENT,
	VMQ_CMD_GET_STATS,
	VMQ_CMD_GET_TABLES,
	__VMQ_CMD_MAX
};

#define VMQ_CMD_MAX (__VMQ_CMD_MAX - 1)

enum vmq_attr {
	VMQ_A_UNSPEC,
	VMQ_A_VM_ID,		/* u32 */
	VMQ_A_VM_NAME,		/* string, < VMQ_NAME_MAX */
	VMQ_A_VM_PID,		/* u32 */
	VMQ_A_VM_QUEUE_SIZE,	/* u32 */
	VMQ_A_VM_QUEUE_BYTES,	/* u32 */
	VMQ_A_VM_QUEUE_MSGS,	/* u32 */
	VMQ_A_VM_PEERS,		/* nested: VMQ_A_PEER_ID... */
	VMQ_A_VM_QUOTAS,	/* nested: enum vmq_quota_attr */
	VMQ_A_VM_COUNTERS,	/* nested: enum vmq_counter + 1 -> u64 */
	VMQ_A_PEER_ID,		/* u32 */
	VMQ_A_PEER_NAME,	/* string */
	VMQ_A_EVENT,		/* u32: enum vmq_event */
	VMQ_A_EVENT_ERROR,	/* s32 */
	VMQ_A_PAD,
	VMQ_A_VM_PAGES_IN_FLIGHT,	/* u32 */
	VMQ_A_STATS,		/* nested: enum vmq_stat + 1 -> u64 */
	VMQ_A_TABLE,		/* nested: enum vmq_table_attr */
	__VMQ_A_MAX
};

#define VMQ_A_MAX (__VMQ_A_MAX - 1)

enum vmq_quota_attr {
	VMQ_A_QUOTA_UNSPEC,
	VMQ_A_QUOTA_MAX_MSG,	/* u32 bytes; 0: the module's max_msg_size */
	VMQ_A_QUOTA_MAX_QUEUE,	/* u32 bytes of data area; 0: no limit */
	VMQ_A_QUOTA_MAX_PAGES,	/* u32 pages in flight; 0: no limit */
	VMQ_A_QUOTA_MAX_GRANTS,	/* u32 copy grants; 0: VMQ_GRANTS_MAX */
	__VMQ_A_QUOTA_MAX
};

#define VMQ_A_QUOTA_MAX (__VMQ_A_QUOTA_MAX - 1)

enum vmq_table_attr {
	VMQ_A_TABLE_UNSPEC,
	VMQ_A_TABLE_GPA,	/* u64: guest-physical address */
	VMQ_A_TABLE_LEVEL,	/* u32: 4 (PML4) ... 1 (page table) */
	VMQ_A_TABLE_VA,		/* u64: first virtual address it maps */
	VMQ_A_TABLE_SPAN,	/* u64: bytes of virtual range it maps */
	VMQ_A_TABLE_ALIASED,	/* flag: also met at another place */
	VMQ_A_TABLE_USERS,	/* u32: cached translations on it */
	VMQ_A_TABLE_WRITES,	/* u32: trapped writes to it */
	VMQ_A_TABLE_PAD,
	__VMQ_A_TABLE_MAX
};

#define VMQ_A_TABLE_MAX (__VMQ_A_TABLE_MAX - 1)

enum vmq_event {
	VMQ_EVENT_UNSPEC,
	VMQ_EVENT_VM_ATTACHED,	/* a VM was attached or adopted */
	VMQ_EVENT_VM_GONE,	/* a VM left vmq */
	VMQ_EVENT_DENIED,	/* a send was refused: -EACCES */
	VMQ_EVENT_DROP,		/* a send failed otherwise (error attached) */
	VMQ_EVENT_QUOTA,	/* a quota refused something */
	__VMQ_EVENT_MAX
};

#endif /* _UAPI_LINUX_VMQ_H */
