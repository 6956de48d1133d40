/* process.c - descriptors 0-2 and dumpability, before anything else. */
#include "process.h"

#include "log.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

void process_init(void)
{
	int fd;

	/* fcntl(F_GETFD) fails with EBADF on a closed descriptor. Without
	 * /dev/null (FROM scratch) there is nothing to fill the gap with. */
	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) == -1) {
			int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);

			if (fd == 1)
				log_stdout_was_closed();

			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
