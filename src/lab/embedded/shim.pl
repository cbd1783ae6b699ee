# Stand-in for a simulated program (snap, microceph, lsblk...) on a lab host, run by a two-line sh
# wrapper as `perl shim.pl PROGRAM ARGS...`. It forwards the call to the lab process over a unix socket
# and replays the answer. Perl because a call's cost is one interpreter start and Debian always has
# perl-base (Essential): about 2 ms of CPU here against Python's 23 (its json and socket modules) and
# Node's 55; the simulator already models each command's own time. So it loads no module at all, not
# even strict (another 0.8 ms): builtins only, Linux's constants written out. Host and socket come from
# the environment, or from /run/mc-lab/host on namespace hosts, where sudo clears the environment.
# Protocol (program-server.ts), all lengths 32-bit big-endian:
#   shim: length, then uid NUL host NUL argv joined by NUL
#   lab:  'S' when the program reads stdin; shim: length, then the whole stdin
#   lab:  'R', exit status, stdout's length, stderr's length, stdout, stderr
# The lab closing the call without 'R' is a fault that dropped the host's connections.

my $program = $ARGV[0];
my ($host, $socket_path) = ($ENV{MC_LAB_HOST}, $ENV{MC_LAB_SOCKET});
if (!defined $host || !defined $socket_path) {
  if (open(my $file, '<', '/run/mc-lab/host')) {
    ($host, $socket_path) = <$file>;
    chomp($host, $socket_path) if defined $socket_path;
  }
  if (!defined $socket_path || $socket_path eq '') {
    print STDERR "$program: not running on an mc lab host\n";
    exit 127;
  }
}

sub lab_gone {
  print STDERR "$program: lab is not running ($!)\n";
  exit 127;
}

sub write_all {
  my ($handle, $data) = @_;
  while (length $data) {
    my $written = syswrite($handle, $data);
    return 0 unless defined $written;
    substr($data, 0, $written) = '';
  }
  return 1;
}

binmode STDIN;
binmode STDOUT;
binmode STDERR;
# AF_UNIX and SOCK_STREAM are 1 on Linux; a sockaddr_un is the family (native short) and the path.
socket(my $sock, 1, 1, 0) or lab_gone();
connect($sock, pack('S Z*', 1, $socket_path)) or lab_gone();
my $uid = $ENV{MC_LAB_UID} // $<;
write_all($sock, pack('N/a*', join("\0", $uid, $host, @ARGV))) or lab_gone();

my $buffer = '';
while (1) {
  if ($buffer =~ /^S/) {
    # Only programs that really read stdin get it, so a later command in the same shell still can.
    substr($buffer, 0, 1) = '';
    local $/;
    my $stdin = <STDIN> // '';
    write_all($sock, pack('N/a*', $stdin)) or lab_gone();
    next;
  }
  if (length $buffer >= 13) {
    my ($status, $out_length, $err_length) = unpack('x N N N', $buffer);
    if (length $buffer >= 13 + $out_length + $err_length) {
      write_all(\*STDOUT, substr($buffer, 13, $out_length));
      write_all(\*STDERR, substr($buffer, 13 + $out_length, $err_length));
      exit $status;
    }
  }
  my $read = sysread($sock, $buffer, 65536, length $buffer);
  lab_gone() unless defined $read;
  last if $read == 0;
}
exit 255;
