/**
 * Package databases and os-release files as real images carry them. The dpkg stanzas are
 * verbatim from a Debian 12 system's `/var/lib/dpkg/status`; the apk entries follow Alpine
 * 3.19's `lib/apk/db/installed` format field for field.
 */

/** Six installed Debian 12 packages, among them both Source forms (`glibc`, `util-linux (2.38.1-5+deb12u3)`). */
export const DEBIAN_STATUS_INSTALLED = `Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 13001
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u14
Replaces: libc6-amd64
Depends: libgcc-s1
Recommends: libidn2-0 (>= 2.0.5~)
Suggests: glibc-doc, debconf | debconf-2.0, libc-l10n, locales, libnss-nis, libnss-nisplus
Breaks: aide (<< 0.17.3-4+b3), busybox (<< 1.30.1-6), chrony (<< 4.2-3~), fakechroot (<< 2.19-3.5), firefox (<< 91~), firefox-esr (<< 91~), gnumach-image-1.8-486 (<< 2:1.8+git20210923~), gnumach-image-1.8-486-dbg (<< 2:1.8+git20210923~), gnumach-image-1.8-xen-486 (<< 2:1.8+git20210923~), gnumach-image-1.8-xen-486-dbg (<< 2:1.8+git20210923~), hurd (<< 1:0.9.git20220301-2), ioquake3 (<< 1.36+u20200211.f2c61c1~dfsg-2~), iraf-fitsutil (<< 2018.07.06-4), libgegl-0.4-0 (<< 0.4.18), libtirpc1 (<< 0.2.3), locales (<< 2.36), locales-all (<< 2.36), macs (<< 2.2.7.1-3~), nocache (<< 1.1-1~), nscd (<< 2.36), openarena (<< 0.8.8+dfsg-4~), openssh-server (<< 1:8.1p1-5), python3-iptables (<< 1.0.0-2), r-cran-later (<< 0.7.5+dfsg-2), tinydns (<< 1:1.05-14), valgrind (<< 1:3.19.0-1~), wcc (<< 0.0.2+dfsg-3)
Conffiles:
 /etc/ld.so.conf.d/x86_64-linux-gnu.conf d4e7a7b88a71b5ffd9e2644e71a0cfab
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system. This package includes shared versions of the standard C library
 and the standard math library, as well as many others.
Homepage: https://www.gnu.org/software/libc/libc.html

Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 6029
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.19-1~deb12u2
Depends: libc6 (>= 2.34)
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation of the SSL
 and TLS cryptographic protocols for secure communication over the
 Internet.
 .
 It provides the libssl and libcrypto shared libraries.
Homepage: https://www.openssl.org/

Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Provides: libz1
Depends: libc6 (>= 2.14)
Breaks: libxml2 (<< 2.7.6.dfsg-2), texlive-binaries (<< 2009-12)
Conflicts: zlib1 (<= 1:1.0.4-7)
Description: compression library - runtime
 zlib is a library implementing the deflate compression method found
 in gzip and PKZIP.  This package includes the shared library.
Homepage: http://zlib.net/

Package: openssl
Status: install ok installed
Priority: optional
Section: utils
Installed-Size: 2308
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: foreign
Version: 3.0.19-1~deb12u2
Depends: libc6 (>= 2.34), libssl3 (>= 3.0.9)
Suggests: ca-certificates
Conffiles:
 /etc/ssl/openssl.cnf fe1993ec22f6b8a46cb9706acd8fc68f
Description: Secure Sockets Layer toolkit - cryptographic utility
 This package is part of the OpenSSL project's implementation of the SSL
 and TLS cryptographic protocols for secure communication over the
 Internet.
 .
 It contains the general-purpose command line binary /usr/bin/openssl,
 useful for cryptographic operations such as:
  * creating RSA, DH, and DSA key parameters;
  * creating X.509 certificates, CSRs, and CRLs;
  * calculating message digests;
  * encrypting and decrypting with ciphers;
  * testing SSL/TLS clients and servers;
  * handling S/MIME signed or encrypted mail.
Homepage: https://www.openssl.org/

Package: bsdutils
Essential: yes
Status: install ok installed
Priority: required
Section: utils
Installed-Size: 355
Maintainer: util-linux packagers <util-linux@packages.debian.org>
Architecture: amd64
Multi-Arch: foreign
Source: util-linux (2.38.1-5+deb12u3)
Version: 1:2.38.1-5+deb12u3
Pre-Depends: libc6 (>= 2.34), libsystemd0
Recommends: bsdextrautils
Description: basic utilities from 4.4BSD-Lite
 This package contains the bare minimum of BSD utilities needed for a Debian
 system: logger, renice, script, scriptlive, scriptreplay and wall. The
 remaining standard BSD utilities are provided by bsdextrautils.
Homepage: https://www.kernel.org/pub/linux/utils/util-linux/

Package: libbz2-1.0
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 106
Maintainer: Anibal Monsalve Salazar <anibal@debian.org>
Architecture: amd64
Multi-Arch: same
Source: bzip2 (1.0.8-5)
Version: 1.0.8-5+b1
Depends: libc6 (>= 2.4)
Description: high-quality block-sorting file compressor library - runtime
 This package contains libbzip2 which is used by the bzip2 compressor.
 .
 bzip2 is a freely available, patent free, data compressor.
 .
 bzip2 compresses files using the Burrows-Wheeler block-sorting text
 compression algorithm, and Huffman coding.  Compression is generally
 considerably better than that achieved by more conventional
 LZ77/LZ78-based compressors, and approaches the performance of the PPM
 family of statistical compressors.
 .
 The archive file format of bzip2 (.bz2) is incompatible with that of its
 predecessor, bzip (.bz).
Homepage: https://sourceware.org/bzip2/
`;

/** A removed package whose configuration is left, and a purged one: neither is installed. */
export const DEBIAN_STATUS_REMOVED = `Package: exim4-config
Status: deinstall ok config-files
Priority: important
Section: mail
Installed-Size: 561
Maintainer: Exim4 Maintainers <pkg-exim4-maintainers@lists.alioth.debian.org>
Architecture: all
Source: exim4
Version: 4.96-15+deb12u4
Conffiles:
 /etc/exim4/conf.d/main/01_exim4-config_listmacrosdefs 5a1ad2e8e9c7bd4bb4c3bde9ec4d58b1
Description: configuration for the exim MTA (v4)

Package: libgcrypt20-old
Status: purge ok not-installed
Priority: optional
Section: libs
Architecture: amd64
Multi-Arch: same
`;

export const DEBIAN_STATUS = `${DEBIAN_STATUS_INSTALLED}\n${DEBIAN_STATUS_REMOVED}`;

/** Debian 12's `usr/lib/os-release` (its `etc/os-release` is a symlink to it). */
export const DEBIAN_12_OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`;

export const UBUNTU_2204_OS_RELEASE = `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
`;

export const ALPINE_319_OS_RELEASE = `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
`;

export const FEDORA_39_OS_RELEASE = `NAME="Fedora Linux"
VERSION="39 (Container Image)"
ID=fedora
VERSION_ID=39
VERSION_CODENAME=""
PLATFORM_ID="platform:f39"
PRETTY_NAME="Fedora Linux 39 (Container Image)"
`;

/** Alpine 3.19 packages: musl, busybox, and libcrypto3/libssl3 whose origin is openssl. */
export const ALPINE_INSTALLED = `C:Q1nTqOUBUk6tWGpAkLOjgvpC0Qhq4=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407210
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1700051186
c:ab9b3a7a3c6a7d9f0e6e8e3a1b5d9e2a3c4f5e6d
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1ZCe0J+2D4ZkW13AYpsYn95jFSLs=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

C:Q1gZS0ybQjUKDM1L7H3sKMZVQFxiU=
P:busybox
V:1.36.1-r15
A:x86_64
S:509868
I:975872
T:Size optimized toolbox of many common UNIX utilities
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1701355093
c:0bc8a2a4fa4d9a12f2e0b71a6b0c5f0bd8fdb5f6
D:so:libc.musl-x86_64.so.1
p:cmd:busybox=1.36.1-r15
r:busybox-initscripts
F:bin
R:busybox
a:0:0:755
Z:Q1L3FhYi6OLS8jWDxxBf96PzG5Pyk=
F:etc
R:securetty
Z:Q1mB95Hq2NUTZ599RDiSsj9w5FrOU=
R:udhcpd.conf
Z:Q1EgLFjj67ou3eMqp4m3r2ZjnQ7QU=

C:Q1NwqzgOSrKF7JJtBmTs5KOI7lvFk=
P:libcrypto3
V:3.1.4-r5
A:x86_64
S:1711292
I:4993024
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1705336530
c:c1e9a5bb4e4a25cbb54e2b9b1c3a4e1e6d2a5f0b
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3
r:libcrypto1.1
F:lib
R:libcrypto.so.3
a:0:0:755
Z:Q1+Ag0BSPnAb9ju1g2V8F40qUaR7s=
F:usr
F:usr/lib
R:libcrypto.so.3
a:0:0:777
Z:Q1nXbxdAqC6zFHG7kQbfH5ds2rnHc=

C:Q1mj8rHDo7W8jkHyW5lIkNnJ3n6ZI=
P:libssl3
V:3.1.4-r5
A:x86_64
S:358960
I:942080
T:SSL shared libraries
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1705336530
c:c1e9a5bb4e4a25cbb54e2b9b1c3a4e1e6d2a5f0b
D:so:libc.musl-x86_64.so.1 so:libcrypto.so.3
p:so:libssl.so.3=3
r:openssl
F:lib
R:libssl.so.3
a:0:0:755
Z:Q1JBSwYm+PIV5Fht2pu1fRdGYzFTM=
F:usr
F:usr/lib
R:libssl.so.3
a:0:0:777
Z:Q18j35pe3yp6HOgMih1wlGP1/mm2c=

C:Q1Qc5eXcQRSagvwgNXCbDMfiBVu8E=
P:zlib
V:1.3.1-r0
A:x86_64
S:53691
I:102400
T:A compression/decompression Library
U:https://zlib.net/
L:Zlib
o:zlib
m:Natanael Copa <ncopa@alpinelinux.org>
t:1705959946
c:9a6b5f7c4e4b3c0e3f4cbb5e8d55f3b3a4d1b0d3
D:so:libc.musl-x86_64.so.1
p:so:libz.so.1=1.3.1
F:lib
R:libz.so.1
a:0:0:777
Z:Q1HGkqEDXiRV7pD+lE2T0Md6ZHTno=
R:libz.so.1.3.1
a:0:0:755
Z:Q1SbbSe+Ad3BOv8zHdL2gDnMj3sPc=
`;

/**
 * The packages of the Debian 12 OSV fixtures (test/fixtures/osv/debian-12/) at versions
 * just below a fix, each named in the package's own changelog (see the fixtures' README).
 */
export const DEBIAN_12_VERSIONS_BELOW_FIXES: Readonly<Record<string, string>> = {
  libc6: '2.36-9+deb12u10',
  libssl3: '3.0.18-1~deb12u1',
  openssl: '3.0.18-1~deb12u1',
  tar: '1.34+dfsg-1.2',
  zlib1g: '1:1.2.11.dfsg-4',
};
