namespace CodeRaft.Admin.Features.Siem.Formatting;

/// <summary>
/// Picks a target's formatter: HEC and webhooks always get the bare JSON export shape; syslog targets get their
/// configured format inside an RFC 5424 message (for CEF, LEEF and JSON as its MSG), capped at
/// <see cref="SiemLineFormatter.UdpMaxOctets"/> on UDP and uncapped on TCP/TLS (octet counting carries any length,
/// and a cut entry could no longer be verified against the chain). Formatters are stateless and thread-safe.
/// </summary>
/// <param name="hostName">The HOSTNAME to send; null = the machine name.</param>
public sealed class SiemFormatterFactory(string? hostName = null) : ISiemFormatterFactory
{
    private readonly SyslogHeader _header = new(string.IsNullOrWhiteSpace(hostName) ? MachineName() : hostName, Environment.ProcessId);

    /// <exception cref="ArgumentException">The target's structured data ID is not a valid SD-ID (see <see cref="Rfc5424Formatter.ValidateStructuredDataId"/>).</exception>
    public ISiemFormatter Create(SiemTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!target.Type.IsSyslog())
        {
            return JsonFormatter.Plain;
        }

        var maxOctets = target.Type == SiemTargetType.SyslogUdp ? SiemLineFormatter.UdpMaxOctets : 0;
        return target.Format switch
        {
            SiemFormat.Rfc5424 => new Rfc5424Formatter(target.StructuredDataId, _header, maxOctets),
            SiemFormat.Cef => new CefFormatter(_header, _header.HostName == "-" ? null : _header.HostName, maxOctets),
            SiemFormat.Leef => new LeefFormatter(_header, maxOctets),
            _ => new JsonFormatter(_header, maxOctets),
        };
    }

    private static string? MachineName()
    {
        try
        {
            return Environment.MachineName;
        }
        catch (InvalidOperationException)
        {
            return null; // NILVALUE
        }
    }
}
