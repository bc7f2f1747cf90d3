using CodeRaft.Admin.Features.Siem.Syslog;
using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Features.Siem.Delivery;

/// <summary>Builds a target's sender: syslog over UDP/TCP/TLS here; Splunk HEC and webhooks by their own senders.</summary>
public sealed class SiemSenderFactory(ISiemFormatterFactory formatters, IOptions<SiemDeliveryOptions> options, TimeProvider time) : ISiemSenderFactory
{
    public ISiemSender Create(SiemTarget target)
    {
        var o = options.Value;
        return target.Type switch
        {
            SiemTargetType.SyslogUdp => new SyslogUdpSender(SyslogEndpoint.Parse(target.Endpoint), formatters.Create(target)),
            SiemTargetType.SyslogTcp => new SyslogStreamSender(SyslogEndpoint.Parse(target.Endpoint), formatters.Create(target), null, o.ConnectTimeout, o.SendTimeout, time),
            SiemTargetType.SyslogTls => new SyslogStreamSender(SyslogEndpoint.Parse(target.Endpoint), formatters.Create(target),
                new SyslogTlsSettings(target.TrustedCaPem, target.ClientCertificatePfx), o.ConnectTimeout, o.SendTimeout, time),
            _ => throw new NotSupportedException($"SIEM target type {target.Type.ToText()} is not available in this build."),
        };
    }
}
