# Stand-in for a simulated program (snap, microceph, lsblk...) on a lab host, run by a two-line sh
# wrapper as `python3 -I -S shim.py PROGRAM ARGS...`. It forwards the call to the lab process over a
# unix socket and replays the answer. Python rather than Node because a call's cost is one interpreter
# start: about 20 ms of CPU here against Node's 55, and the simulator already models each command's own
# time. Host and socket come from the environment, or from /run/mc-lab/host.json on namespace hosts,
# where sudo clears the environment. Protocol (program-server.ts): a request line; maybe a need-stdin
# line answered with the whole stdin; then the result line.
import json
import os
import socket
import sys

program = sys.argv[1]
host = os.environ.get('MC_LAB_HOST')
socket_path = os.environ.get('MC_LAB_SOCKET')
if host is None or socket_path is None:
    try:
        with open('/run/mc-lab/host.json', encoding='utf-8') as f:
            found = json.load(f)
        host, socket_path = found['host'], found['socket']
    except (OSError, ValueError, KeyError):
        sys.stderr.write(f'{program}: not running on an mc lab host\n')
        sys.exit(127)


def send(sock, message):
    sock.sendall((json.dumps(message) + '\n').encode('utf-8'))


try:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(socket_path)
    send(sock, {'host': host, 'argv': sys.argv[1:], 'uid': int(os.environ.get('MC_LAB_UID', os.getuid()))})
    reader = sock.makefile('rb')
    for line in reader:
        message = json.loads(line)
        if message.get('type') == 'need-stdin':
            # Only programs that really read stdin get it, so a later command in the same shell still can.
            send(sock, {'stdin': sys.stdin.buffer.read().decode('utf-8', errors='replace')})
        elif message.get('type') == 'result':
            sys.stdout.buffer.write(message['stdout'].encode('utf-8'))
            sys.stdout.flush()
            sys.stderr.buffer.write(message['stderr'].encode('utf-8'))
            sys.stderr.flush()
            sys.exit(message['exitCode'])
except OSError as err:
    sys.stderr.write(f'{program}: lab is not running ({err.strerror or err})\n')
    sys.exit(127)
# The lab closed the call without an answer: a fault dropped the host's connections.
sys.exit(255)
