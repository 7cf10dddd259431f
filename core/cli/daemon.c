/* The detached server: `nimbus start -d` forks the server into a session of its own with its
 * output in the log file and its pid in the pid file, and returns once it printed Ready.;
 * `nimbus stop` sends it SIGTERM and waits until it exited; `nimbus logs [-f]` shows the log. */
#include "cli/cli_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "util/exe_dir.h"

#define DEFAULT_START_TIMEOUT_S 60
#define DEFAULT_STOP_TIMEOUT_S 30

/* mkdir -p of path's folder; -1 with errno set when it cannot be made. */
static int make_parent(const char *path) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    int rc = nb__store_mkdirs(dir, 0);
    if (rc != 0)
        errno = -rc;
    return rc == 0 ? 0 : -1;
}

/* Whether pid is a process that has not exited (a zombie has: it waits for its parent, or for an
 * init that may not reap in a container, to collect it). */
static bool is_running(int pid) {
    if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH))
        return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f) {
        char state = 0;
        int n = fscanf(f, "%*d (%*[^)]) %c", &state);
        fclose(f);
        if (n == 1 && (state == 'Z' || state == 'X'))
            return false;
    }
    return true;
}

/* Whether pid runs and its executable is a nimbus: a pid file left by a crash may name a pid
 * reused by something else, which must never get our signal. */
static bool is_live_nimbus(int pid) {
    if (!is_running(pid))
        return false;
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/exe", pid);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n <= 0)
        return errno == EACCES; /* another user's process: trust the pid file */
    buf[n] = '\0';
    const char *base = strrchr(buf, '/');
    return strstr(base ? base + 1 : buf, "nimbus") != NULL;
}

int nb__cli_running_pid(const char *pid_path, bool *stale) {
    *stale = false;
    FILE *f = fopen(pid_path, "r");
    if (f == NULL)
        return 0;
    int pid = 0;
    if (fscanf(f, "%d", &pid) != 1)
        pid = 0;
    fclose(f);
    if (is_live_nimbus(pid))
        return pid;
    *stale = true;
    unlink(pid_path);
    return 0;
}

static int write_pid_file(const char *path, int pid) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%d\n", pid);
    if (fclose(f) != 0 || rename(tmp, path) != 0) { /* whole or absent: a reader never sees half */
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Copies the log from offset on to out; returns the new offset. */
static off_t copy_log(const char *path, off_t offset, FILE *out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return offset;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size < offset)
        offset = 0; /* truncated or replaced: from its start */
    char buf[65536];
    ssize_t n;
    while ((n = pread(fd, buf, sizeof buf, offset)) > 0) {
        fwrite(buf, 1, (size_t)n, out);
        offset += n;
    }
    fflush(out);
    close(fd);
    return offset;
}

/* Whether the log past offset holds the line "Ready.". */
static bool log_says_ready(const char *path, off_t offset) {
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    bool ready = false;
    char line[4096];
    if (fseeko(f, offset, SEEK_SET) == 0)
        while (!ready && fgets(line, sizeof line, f))
            ready = strcmp(line, "Ready.\n") == 0;
    fclose(f);
    return ready;
}

int nb__cli_start_detached(nb__cli_t *c) {
    bool stale;
    int running = nb__cli_running_pid(c->pid_path, &stale);
    if (running) {
        fprintf(stderr, "nimbus start: already running (pid %d, pid file %s)\n", running, c->pid_path);
        return 1;
    }
    if (make_parent(c->pid_path) != 0 || make_parent(c->log_path) != 0) {
        fprintf(stderr, "nimbus start: cannot create the folder of %s or %s: %s\n", c->pid_path, c->log_path,
                strerror(errno));
        return 1;
    }
    int log_fd = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0) {
        fprintf(stderr, "nimbus start: log file %s: %s\n", c->log_path, strerror(errno));
        return 1;
    }
    off_t offset = lseek(log_fd, 0, SEEK_END); /* this run's lines start here (the log is appended to) */
    char exe[4096];
    if (nb__exe_path(exe, sizeof exe) != 0) {
        fprintf(stderr, "nimbus start: cannot find this program's path: %s\n", strerror(errno));
        return 1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "nimbus start: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) { /* the server: no terminal, its own session (a Ctrl-C of this shell is not its) */
        setsid();
        dup2(null_fd, 0);
        dup2(log_fd, 1);
        dup2(log_fd, 2);
        /* nothing else of the caller's: a pipe kept open would hang a `$(nimbus start -d)` */
        close_range(3, ~0U, 0);
        execv(exe, c->server_args);
        dprintf(2, "nimbus start: exec %s: %s\n", exe, strerror(errno));
        _exit(127);
    }
    close(log_fd);
    close(null_fd);
    if (write_pid_file(c->pid_path, pid) != 0)
        fprintf(stderr, "nimbus start: pid file %s: %s (nimbus stop will not find it)\n", c->pid_path,
                strerror(errno));
    double timeout = c->timeout_s >= 0 ? c->timeout_s : DEFAULT_START_TIMEOUT_S;
    double deadline = nb__cli_now() + timeout;
    for (;;) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "nimbus start: the server exited (%s %d) before it was ready; its log:\n",
                    WIFEXITED(status) ? "exit code" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
            copy_log(c->log_path, offset, stderr);
            unlink(c->pid_path);
            return 1;
        }
        if (log_says_ready(c->log_path, offset))
            break;
        if (nb__cli_now() >= deadline) {
            fprintf(stderr, "nimbus start: not ready after %.1f s; still running as pid %d (log: %s)\n", timeout, pid,
                    c->log_path);
            return 1;
        }
        nb__cli_sleep_ms(20);
    }
    copy_log(c->log_path, offset, stdout);
    printf("nimbus: started in the background (pid %d); pid file %s, log %s\n", pid, c->pid_path, c->log_path);
    return 0;
}

int nb__cli_stop(nb__cli_t *c) {
    bool stale;
    int pid = nb__cli_running_pid(c->pid_path, &stale);
    if (pid == 0) {
        fprintf(stderr, "nimbus stop: not running (%s %s)\n", stale ? "removed the stale pid file" : "no pid file",
                c->pid_path);
        return 1;
    }
    if (kill(pid, SIGTERM) != 0) {
        fprintf(stderr, "nimbus stop: cannot signal pid %d: %s\n", pid, strerror(errno));
        return 1;
    }
    double timeout = c->timeout_s >= 0 ? c->timeout_s : DEFAULT_STOP_TIMEOUT_S;
    double deadline = nb__cli_now() + timeout;
    /* not is_live_nimbus: an exiting process loses its exe link before it closes its sockets */
    while (is_running(pid)) {
        if (nb__cli_now() >= deadline) {
            fprintf(stderr, "nimbus stop: pid %d still running %.1f s after SIGTERM\n", pid, timeout);
            return 1;
        }
        nb__cli_sleep_ms(10);
    }
    unlink(c->pid_path);
    printf("nimbus: stopped (pid %d)\n", pid);
    return 0;
}

int nb__cli_logs(nb__cli_t *c) {
    if (access(c->log_path, R_OK) != 0) {
        fprintf(stderr, "nimbus logs: %s: %s (nimbus start -d writes it)\n", c->log_path, strerror(errno));
        return 1;
    }
    off_t offset = copy_log(c->log_path, 0, stdout);
    if (!c->follow)
        return 0;
    /* Follows until the server of the pid file is gone (or forever without one, as tail -f). */
    bool stale, had_server = nb__cli_running_pid(c->pid_path, &stale) != 0;
    for (;;) {
        nb__cli_sleep_ms(100);
        bool gone = had_server && nb__cli_running_pid(c->pid_path, &stale) == 0;
        offset = copy_log(c->log_path, offset, stdout);
        if (gone)
            return 0;
    }
}
