using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.Siem.Delivery;

/// <summary>
/// A real rsyslogd as the SIEM (TOOLCHAIN.md): <c>rsyslogd -n -f CONF -i PIDFILE</c> with its own work directory,
/// no imuxsock/imklog, imtcp plain or TLS (gtls, TLS 1.3 only), writing each received message's <c>%rawmsg%</c> as
/// one line. For TLS, a CA and a server certificate for 127.0.0.1 are generated; <see cref="CaPem"/> is what the
/// target trusts.
/// </summary>
public sealed partial class RsyslogReceiver : IAsyncDisposable
{
    private readonly TempDirectory _dir = new("coderaft-rsyslog");
    private Process? _process;

    public RsyslogReceiver(bool tls)
    {
        Port = AppProcess.FreePort();
        Directory.CreateDirectory(_dir.Combine("work"));
        var global = $"workDirectory=\"{_dir.Combine("work")}\" maxMessageSize=\"64k\"";
        var module = "module(load=\"imtcp\")";
        if (tls)
        {
            var (ca, certPem, keyPem) = CreateCertificates();
            CaPem = ca;
            File.WriteAllText(_dir.Combine("ca.pem"), ca);
            File.WriteAllText(_dir.Combine("cert.pem"), certPem);
            File.WriteAllText(_dir.Combine("key.pem"), keyPem);
            global += $" DefaultNetstreamDriver=\"gtls\" DefaultNetstreamDriverCAFile=\"{_dir.Combine("ca.pem")}\""
                + $" DefaultNetstreamDriverCertFile=\"{_dir.Combine("cert.pem")}\" DefaultNetstreamDriverKeyFile=\"{_dir.Combine("key.pem")}\"";
            module = "module(load=\"imtcp\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\" "
                + "gnutlsPriorityString=\"NORMAL:-VERS-ALL:+VERS-TLS1.3\")";
        }

        File.WriteAllText(_dir.Combine("rsyslog.conf"), $"""
            global({global})
            {module}
            input(type="imtcp" port="{Port}" address="127.0.0.1" ruleset="siem")
            template(name="raw" type="string" string="%rawmsg%\n")
            ruleset(name="siem") {"{"}
              action(type="omfile" file="{OutputPath}" template="raw" flushOnTXEnd="on" asyncWriting="off")
            {"}"}
            """);
    }

    public int Port { get; }

    public string CaPem { get; } = "";

    public string OutputPath => _dir.Combine("received.log");

    public string Endpoint => $"127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("rsyslogd") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-n", "-f", _dir.Combine("rsyslog.conf"), "-i", _dir.Combine("rsyslogd.pid") })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"rsyslogd exited with {_process.ExitCode}; config: {File.ReadAllText(_dir.Combine("rsyslog.conf"))}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException("rsyslogd did not listen within 15 s.");
    }

    /// <summary>Stops the receiver the way an operator or a crash-restarting supervisor would: SIGTERM, then wait.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _process = null;
    }

    /// <summary>Sequences of the received audit entries (checkpoints — MSGID audit.checkpoint — excluded), in arrival order.</summary>
    public IReadOnlyList<long> ReceivedSequences() => [.. ReceivedRecords().Where(r => r.Signature is null).Select(r => r.Sequence)];

    /// <summary>
    /// The received audit entries and checkpoints (RFC 5424), in arrival order; a checkpoint is told by its signature
    /// (entries have none), which is what tells two checkpoints of the same sequence apart.
    /// </summary>
    public IReadOnlyList<ReceivedRecord> ReceivedRecords()
    {
        if (!File.Exists(OutputPath))
        {
            return [];
        }

        using var stream = new FileStream(OutputPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var result = new List<ReceivedRecord>();
        while (reader.ReadLine() is { } line)
        {
            var match = EntrySequence().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var sequence = long.Parse(match.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture);
            if (line.Contains(" audit.checkpoint ", StringComparison.Ordinal))
            {
                // A line cut short (still being written) has no signature yet: it is read on the next poll.
                if (CheckpointSignature().Match(line) is { Success: true } signature)
                {
                    result.Add(new ReceivedRecord(sequence, signature.Groups[1].Value));
                }
            }
            else
            {
                result.Add(new ReceivedRecord(sequence, null));
            }
        }

        return result;
    }

    /// <summary>One received record: an entry (no signature) or a checkpoint.</summary>
    public sealed record ReceivedRecord(long Sequence, string? Signature);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _dir.Dispose();
    }

    // The audit SD element (not the checkpoint's); CEF/LEEF would carry externalId=/sequence= instead.
    [GeneratedRegex("\\[audit@32473 sequence=\"(\\d+)\"")]
    private static partial Regex EntrySequence();

    [GeneratedRegex(" signature=\"([^\"]+)\"\\]")]
    private static partial Regex CheckpointSignature();

    private static (string CaPem, string CertPem, string KeyPem) CreateCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=CodeRaft test SIEM CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(12));
        return (ca.ExportCertificatePem(), cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
