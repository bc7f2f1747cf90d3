using System.Net.Sockets;
using System.Text;

namespace CodeRaft.Admin.Features.Siem.Syslog;

/// <summary>
/// Syslog over UDP (RFC 5426): one datagram per message, no framing. Best effort by nature — a datagram the
/// receiver drops is not noticed — so a "successful" send only means the datagrams left this host; the docs steer
/// operators who need completeness to TCP or TLS.
/// </summary>
public sealed class SyslogUdpSender(SyslogEndpoint endpoint, ISiemFormatter formatter) : ISiemSender
{
    /// <summary>RFC 5426 §3.2: receivers must accept 480 octets (IPv4) and should accept 2048; larger may be cut or lost.</summary>
    public const int MaxDatagram = 65_000;

    private UdpClient? _client;

    public async Task SendAsync(IReadOnlyList<SiemRecord> batch, CancellationToken cancellationToken)
    {
        try
        {
            if (_client is null)
            {
                var client = new UdpClient(endpoint.Host.Contains(':', StringComparison.Ordinal) ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
                try
                {
                    client.Connect(endpoint.Host, endpoint.Port);
                }
                catch
                {
                    client.Dispose();
                    throw;
                }

                _client = client;
            }

            foreach (var record in batch)
            {
                var bytes = Encoding.UTF8.GetBytes(formatter.Format(record));
                await _client.SendAsync(bytes.AsMemory(0, Math.Min(bytes.Length, MaxDatagram)), cancellationToken);
            }
        }
        catch (SocketException e)
        {
            // A previous datagram's ICMP "port unreachable" surfaces on the next send; reconnect next time.
            _client?.Dispose();
            _client = null;
            throw new SiemDeliveryException($"UDP send to {endpoint} failed: {SyslogErrors.Describe(e)}.", inner: e);
        }
    }

    public ValueTask DisposeAsync()
    {
        _client?.Dispose();
        return ValueTask.CompletedTask;
    }
}
