using System.Net.Sockets;
using System.Security.Authentication;

namespace CodeRaft.Admin.Features.Siem.Syslog;

/// <summary>
/// Turns transport exceptions into short messages safe to store and show: a fixed vocabulary (socket error names,
/// "TLS handshake failed", …), never the exception text of the runtime or the TLS library, which may quote
/// certificate contents or paths.
/// </summary>
internal static class SyslogErrors
{
    public static string Describe(Exception e) => e switch
    {
        SocketException s => s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
            SocketError.TimedOut => "timed out",
            SocketError.ConnectionReset => "connection reset by the receiver",
            SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
            _ => $"socket error {s.SocketErrorCode}",
        },
        AuthenticationException => "TLS handshake failed (certificate not trusted, wrong host name or no common protocol version)",
        OperationCanceledException or TimeoutException => "timed out",
        IOException { InnerException: SocketException s } => Describe(s),
        IOException => "connection closed by the receiver",
        ObjectDisposedException => "connection closed",
        _ => "transport error",
    };
}
