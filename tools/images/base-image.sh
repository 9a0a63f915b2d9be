#!/usr/bin/env bash
# Assembles a Java 25 runtime image from the local JDK, for machines that cannot pull
# eclipse-temurin:25-jre (docs/images.md). No registry is involved:
#   1. jlink a runtime with the modules the services need (jdeps of their jars, plus a safety set),
#      with its default CDS archive, into /opt/java/openjdk (where eclipse-temurin has it);
#   2. add every shared library that `ldd` names for that runtime and for the native libraries
#      bundled in the given service jars (DJL tokenizers, Netty epoll: extracted to /tmp at run
#      time, so their dependencies must already be in the image);
#   3. add a minimal /etc (passwd and group with the services' user 10001, nsswitch.conf), /tmp and
#      the C.UTF-8 locale;
#   4. `docker import` the folder as TAG.
# The image has no shell and no package manager: the service Dockerfiles use exec-form RUN only.
#
# Usage: tools/images/base-image.sh TAG [SERVICE_EXEC_JAR...]
# Env: JAVA_HOME (a JDK 25), JRE_MODULES (replaces the module list below).
set -euo pipefail
shopt -s inherit_errexit

tag="${1:?usage: base-image.sh TAG [SERVICE_EXEC_JAR...]}"
shift
: "${JAVA_HOME:?set JAVA_HOME to a JDK 25}"
jars=()
for jar in "$@"; do jars+=("$(realpath "$jar")"); done

# jdeps --print-module-deps over the four services' jars (2026-11) gives java.base, java.compiler,
# java.desktop (java.beans, for Spring), java.instrument, java.naming, java.net.http, java.prefs,
# java.scripting, java.security.jgss, java.sql, jdk.jfr, jdk.management, jdk.unsupported. jdeps
# cannot see jdk.incubator.vector (resolved only by --add-modules) or what is loaded reflectively:
# name lookup over DNS (jdk.naming.dns), EC/PKCS#11 providers, JMX and JFR remote management,
# zip file systems, non-UTF-8 charsets. Those are added here.
modules="${JRE_MODULES:-java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,\
java.management.rmi,java.naming,java.net.http,java.prefs,java.rmi,java.scripting,java.security.jgss,\
java.security.sasl,java.sql,java.transaction.xa,java.xml,java.xml.crypto,jdk.charsets,jdk.crypto.cryptoki,\
jdk.crypto.ec,jdk.incubator.vector,jdk.jfr,jdk.management,jdk.management.agent,jdk.management.jfr,\
jdk.naming.dns,jdk.net,jdk.security.auth,jdk.unsupported,jdk.zipfs}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
jre="$rootfs/opt/java/openjdk"
mkdir -p "$rootfs"/{etc,tmp,opt/java} "$rootfs/lib/x86_64-linux-gnu" "$rootfs/lib64"
chmod 1777 "$rootfs/tmp"

echo "base-image: jlink $modules" >&2
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --generate-cds-archive --output "$jre" >/dev/null
# The services run headless (Spring Boot sets java.awt.headless): without the X11, AWT native
# interface, sound and splash screen libraries the image needs no X11 or ALSA client libraries.
rm -f "$jre"/lib/{libawt_xawt.so,libjawt.so,libjsound.so,libsplashscreen.so}

# Native libraries shipped inside the services' jars (BOOT-INF/lib/*.jar), linux x86-64 only.
native_libs() {
  local jar nested entry
  mkdir -p "$work/jars" "$work/native"
  for jar in "$@"; do
    (cd "$work/jars" && "$JAVA_HOME/bin/jar" xf "$jar" BOOT-INF/lib/)
  done
  for nested in "$work"/jars/BOOT-INF/lib/*.jar; do
    [ -e "$nested" ] || continue
    while read -r entry; do
      (cd "$work/native" && "$JAVA_HOME/bin/jar" xf "$nested" "$entry")
      echo "$work/native/$entry"
    done < <("$JAVA_HOME/bin/jar" tf "$nested" | grep -E 'x86[-_]64.*\.so(\.[0-9.]+)?$' \
      | grep -viE 'bsd|sunos|solaris|darwin|osx|macos|win-|win32|win64|windows|android|aix|musl' || true)
  done
}

# Every file `ldd` resolves for the runtime's executables and libraries and for the bundled ones.
# Libraries that glibc loads with dlopen (name service modules) and that the bundled native
# libraries need (DJL tokenizers: libstdc++, libgcc_s, libm; Netty: librt, libdl, libpthread) are
# added by name, so an image assembled without the jars (.ci/run, before the build) has them too.
{
  find "$jre" -type f \( -name '*.so' -o -path '*/bin/*' \)
  if [ "${#jars[@]}" -gt 0 ]; then native_libs "${jars[@]}"; fi
  for name in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2 libgcc_s.so.1 libstdc++.so.6 \
    libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1; do
    if [ -e "/lib/x86_64-linux-gnu/$name" ]; then echo "/lib/x86_64-linux-gnu/$name"; fi
  done
} | sort -u > "$work/elf-files"

: > "$work/missing"
while read -r elf; do
  case "$elf" in "$jre"/*|"$work"/*) ;; *) echo "$elf" ;; esac # a system library named above
  out="$(ldd "$elf" 2>/dev/null || true)"
  # not found but part of the runtime (libjvm.so: loaded by the launcher before these) is fine
  while read -r name _; do
    [ -n "$(find "$jre" -name "$name" -print -quit)" ] || echo "$elf: $name not found" >> "$work/missing"
  done < <(grep 'not found' <<<"$out" || true)
  { grep -oE '(=> )?/[^ ]+ \(0x' <<<"$out" || true; } | sed -E 's/^=> //; s/ \(0x$//'
done < "$work/elf-files" > "$work/resolved"
grep -v -e "^$jre/" -e "^$work/" "$work/resolved" | sort -u > "$work/libs"
if grep -q "^$jre/" "$work/missing"; then
  echo "base-image: the runtime needs shared libraries this machine does not have:" >&2
  cat "$work/missing" >&2
  exit 1
elif [ -s "$work/missing" ]; then
  # a library bundled for a feature the services may not use (e.g. Netty's TLS): they would fail
  # only when they load it
  echo "base-image: warning: unresolved dependencies of bundled native libraries:" >&2
  cat "$work/missing" >&2
fi
while read -r lib; do
  case "$lib" in
    /lib64/*|/lib/x86_64-linux-gnu/*) dest="$rootfs$lib" ;;
    *) dest="$rootfs/lib/x86_64-linux-gnu/$(basename "$lib")" ;; # e.g. /usr/lib/x86_64-linux-gnu
  esac
  cp -L "$lib" "$dest"
done < "$work/libs"
echo "base-image: $(wc -l < "$work/libs") shared libraries added" >&2

cat > "$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
moemesh:x:10001:10001:moe-mesh services:/tmp:/sbin/nologin
EOF
cat > "$rootfs/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
moemesh:x:10001:
EOF
cat > "$rootfs/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
# LANG=C.UTF-8 (UTF-8 file names, sun.jnu.encoding): glibc 2.36 needs the locale's files.
if [ -d /usr/lib/locale/C.utf8 ]; then
  mkdir -p "$rootfs/usr/lib/locale" && cp -r /usr/lib/locale/C.utf8 "$rootfs/usr/lib/locale/"
fi
# /etc/hosts, /etc/resolv.conf and /etc/hostname are mounted by the container runtime.
touch "$rootfs/etc/hosts" "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"

version="$("$jre/bin/java" -XshowSettings:properties -version 2>&1 \
  | sed -n 's/^ *java.runtime.version = //p')"
tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -c . | docker import \
  --change 'ENV JAVA_HOME=/opt/java/openjdk' \
  --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["java", "-version"]' \
  --message "moe-mesh JRE $version: jlink of $JAVA_HOME" - "$tag" >/dev/null
# The runtime must start inside the image (catches a library the loader cannot find).
if ! docker run --rm --network none --user 10001:10001 "$tag" java -version >/dev/null 2>&1; then
  docker run --rm --network none "$tag" java -version || true
  echo "base-image: java does not start in $tag" >&2
  exit 1
fi
echo "base-image: $tag (Java $version, $(du -sh "$rootfs" | cut -f1) unpacked)" >&2
