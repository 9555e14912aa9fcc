#!/usr/bin/perl
# Usage: notify-exec.pl PROGRAM [ARGS...]
#
# Opens an AF_UNIX SOCK_DGRAM socket connected to $NOTIFY_SOCKET, leaves it open across
# exec(2) and replaces itself with PROGRAM, passing the descriptor number in
# $PLACE_AGENT_NOTIFY_FD. Node has no unix datagram sockets, but it can write(2) to an
# inherited descriptor; because exec keeps the PID, every datagram carries the service's
# main PID in its SCM_CREDENTIALS, which NotifyAccess=main requires (sd_notify(3)).
# perl-base is Essential in Debian, so this needs nothing installed.
use strict;
use warnings;
use Socket qw(AF_UNIX SOCK_DGRAM pack_sockaddr_un);
use Fcntl qw(F_GETFD F_SETFD FD_CLOEXEC);

die "usage: notify-exec.pl PROGRAM [ARGS...]\n" unless @ARGV;
my $path = $ENV{NOTIFY_SOCKET} // '';
# An abstract socket name is written with a leading '@' and starts with a NUL byte on the wire.
$path =~ s/^@/\0/;
if ($path =~ m{^[/\0]}) {
    socket(my $sock, AF_UNIX, SOCK_DGRAM, 0) or die "notify-exec: socket: $!\n";
    if (connect($sock, pack_sockaddr_un($path))) {
        my $flags = fcntl($sock, F_GETFD, 0) or die "notify-exec: fcntl: $!\n";
        fcntl($sock, F_SETFD, $flags & ~FD_CLOEXEC) or die "notify-exec: fcntl: $!\n";
        $ENV{PLACE_AGENT_NOTIFY_FD} = fileno($sock);
        # Keep the handle alive until exec; perl would close it at scope exit otherwise.
        our $KEEP = $sock;
    } else {
        print STDERR "notify-exec: cannot connect to NOTIFY_SOCKET: $!\n";
    }
}
exec { $ARGV[0] } @ARGV or die "notify-exec: exec $ARGV[0]: $!\n";
