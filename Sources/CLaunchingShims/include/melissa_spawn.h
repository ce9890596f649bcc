// melissa: the glibc extensions of posix_spawn that Swift's Glibc module hides (they need _GNU_SOURCE, which
// must not leak into the Swift modules' view of the system headers: the functions live in melissa_spawn.c).
#ifndef MELISSA_SPAWN_H
#define MELISSA_SPAWN_H

#include <spawn.h>

/// POSIX_SPAWN_SETSID (POSIX_SPAWN_SETPGROUP where there is none): the child leads a session and group of its own.
short melissa_spawn_setsid_flag(void);

/// posix_spawn_file_actions_addchdir_np: the child starts in `path`. Returns 0 or an errno value.
int melissa_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np: the child closes every descriptor from `from` on. Returns 0 or an
/// errno value (0, doing nothing, where glibc lacks it).
int melissa_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

#endif
