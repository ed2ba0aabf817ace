#ifndef STRATA_BUILDER_SANDBOX_DOCKER_PROFILE_H
#define STRATA_BUILDER_SANDBOX_DOCKER_PROFILE_H

/*
 * Docker's default seccomp profile in Docker's JSON format (NUL-terminated):
 * deny by default with EPERM, an allow list, argument rules for clone,
 * personality and socket, capability-dependent groups, and clone3 answered
 * with ENOSYS so that libcs fall back to clone.
 */
extern const char docker_profile_json[];

#endif
