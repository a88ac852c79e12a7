// SPDX-License-Identifier: GPL-2.0
/*
 * The case runner and what a case needs around it. See vmqt_case.h.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

#include "vmqt_case.h"
#include "vmqt_kvm.h"

/*
 * The runner reads tests through a pipe: line-buffer stdout so a test that
 * stalls has shown how far it got, and so a forked case inherits no
 * unflushed output to print a second time. The Makefile links this object
 * into every test (-Wl,--undefined=vmqt_stdout_line_buffered), so that the
 * constructor runs even in a test that uses nothing else of it.
 */
void __attribute__((constructor)) vmqt_stdout_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

char *vmqt_stage;
static unsigned int watchdog_s;

void vmqt_set_watchdog(unsigned int seconds)
{
	watchdog_s = seconds;
	if (seconds && !vmqt_stage) {
		vmqt_stage = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		TEST_ASSERT(vmqt_stage != MAP_FAILED, "mmap");
	}
}

void vmqt_dump_tasks(pid_t pid)
{
	static const char * const files[] = { "wchan", "syscall", "stack" };
	char path[384], line[256];
	struct dirent *de;
	unsigned int f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		for (f = 0; f < ARRAY_SIZE(files); f++) {
			FILE *fp;

			snprintf(path, sizeof(path), "/proc/%d/task/%s/%s", pid,
				 de->d_name, files[f]);
			fp = fopen(path, "r");
			if (!fp)
				continue;
			while (fgets(line, sizeof(line), fp))
				printf("# task %s %s: %s%s", de->d_name, files[f],
				       line, strchr(line, '\n') ? "" : "\n");
			fclose(fp);
		}
	}
	closedir(d);
}

/* Wait for the case @pid to end, within the watchdog's time if one is set. */
static pid_t wait_case(pid_t pid, int *status)
{
	unsigned int tick;
	pid_t r = 0;

	if (!watchdog_s)
		return waitpid(pid, status, 0);
	for (tick = 0; tick < watchdog_s * 10; tick++) {
		r = waitpid(pid, status, WNOHANG);
		if (r)
			break;
		usleep(100000);
	}
	return r;
}

int __vmqt_run_case(const char *name, void (*fn)(void))
{
	pid_t pid;
	int status = 0;

	vmqt_hold_kvm();
	/* Or the child prints the parent's buffered TAP lines again. */
	fflush(stdout);
	fflush(stderr);
	if (vmqt_stage)
		strcpy(vmqt_stage, "-");
	pid = fork();

	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		/*
		 * When the runner's timeout kills the test, the case goes
		 * too: a vCPU stuck in KVM_RUN would otherwise keep the
		 * test's output open and stall the whole run.
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fn();
		exit(KSFT_PASS);
	}
	if (wait_case(pid, &status) != pid) {
		printf("# %s: no end after %u s, at \"%s\"\n", name, watchdog_s,
		       vmqt_stage);
		vmqt_dump_tasks(pid);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return VMQT_CASE_HUNG;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP)
		return KSFT_SKIP;
	return WIFEXITED(status) && WEXITSTATUS(status) == KSFT_PASS ?
	       KSFT_PASS : KSFT_FAIL;
}

bool vmqt_settle(bool (*done)(void *arg), void *arg)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (done(arg))
			return true;
		usleep(10000);
	}
	return done(arg);
}

char vmqt_task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

bool vmqt_task_waits_in(pid_t pid, pid_t tid, const char *fn)
{
	char path[64], buf[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, fn);
}
