/* process.h - what the process must look like around the flow. */
#ifndef INFX_PROCESS_H
#define INFX_PROCESS_H

/*
 * At start: make sure file descriptors 0, 1 and 2 are open (on /dev/null
 * when not, so that no descriptor the shim opens later takes their place
 * and ends up as the command's stdin/stdout/stderr), and make the process
 * non-dumpable while it holds secrets (no core dump, /proc/PID/mem and
 * /proc/PID/environ readable only by root; execve(2) resets this for the
 * command). Inherited descriptors above 2 are left alone: socket
 * activation passes them on.
 */
void process_init(void);

#endif
