# shellcheck shell=sh
# Finds a JDK 25 or newer for moe-mesh and exports JAVA_HOME. Sourced (POSIX sh) by ./mvnw, ./moe
# and .ci/run, so that all three pick the same JDK; `moemesh_use_jdk25 NAME` returns 1, after a
# message saying what to set, when there is none. Order: JAVA_HOME if it is 25+; the `java` on
# PATH; /usr/lib/jvm/* (Linux packages, Temurin); /opt/java/openjdk (Temurin images); SDKMAN;
# `/usr/libexec/java_home -v 25+` (macOS). A JDK's version is read from its `release` file.

# The feature version of the JDK at $1 (25 for 25.0.3, 8 for 1.8.0), or nothing if it is no JDK.
moemesh_jdk_feature() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -f "$1/release" ] || return 0
  sed -n 's/^JAVA_VERSION="\(1\.\)\{0,1\}\([0-9]*\).*/\2/p' "$1/release"
}

moemesh_is_jdk25() {
  moemesh_jdk_feature_=$(moemesh_jdk_feature "$1")
  [ -n "$moemesh_jdk_feature_" ] && [ "$moemesh_jdk_feature_" -ge 25 ]
}

moemesh_use_jdk25() {
  if [ -n "${JAVA_HOME:-}" ] && moemesh_is_jdk25 "$JAVA_HOME"; then
    export JAVA_HOME
    return 0
  fi
  moemesh_found_=""
  moemesh_path_java_=$(command -v java 2>/dev/null || :)
  if [ -n "$moemesh_path_java_" ]; then
    moemesh_path_java_=$(readlink -f "$moemesh_path_java_" 2>/dev/null || printf %s "$moemesh_path_java_")
    moemesh_path_java_=${moemesh_path_java_%/bin/java}
  fi
  # Globs must expand even where the caller runs with `set -f` (mvnw does).
  case $- in *f*) moemesh_noglob_=1; set +f ;; *) moemesh_noglob_="" ;; esac
  for moemesh_candidate_ in "$moemesh_path_java_" /usr/lib/jvm/*25* /usr/lib/jvm/* \
      /opt/java/openjdk "${HOME:-/nonexistent}"/.sdkman/candidates/java/*; do
    if [ -n "$moemesh_candidate_" ] && moemesh_is_jdk25 "$moemesh_candidate_"; then
      moemesh_found_=$moemesh_candidate_
      break
    fi
  done
  [ -z "$moemesh_noglob_" ] || set -f
  if [ -z "$moemesh_found_" ] && [ -x /usr/libexec/java_home ]; then
    moemesh_found_=$(/usr/libexec/java_home -v 25+ 2>/dev/null || :)
    [ -n "$moemesh_found_" ] && moemesh_is_jdk25 "$moemesh_found_" || moemesh_found_=""
  fi
  if [ -z "$moemesh_found_" ]; then
    echo "$1: moe-mesh needs JDK 25: set JAVA_HOME to a JDK 25 (none found in JAVA_HOME," \
      "on PATH, under /usr/lib/jvm, /opt/java/openjdk or SDKMAN)" >&2
    return 1
  fi
  if [ -n "${JAVA_HOME:-}" ]; then
    echo "$1: JAVA_HOME=$JAVA_HOME is not a JDK 25; using $moemesh_found_" >&2
  fi
  JAVA_HOME=$moemesh_found_
  export JAVA_HOME
}
