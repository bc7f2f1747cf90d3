using System.Buffers;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

using CodeRaft.Admin.Features.Siem.Delivery;

namespace CodeRaft.Admin.Features.Siem.Syslog;

/// <summary>
/// Syslog over TCP or TLS with octet-counted framing (RFC 6587 §3.4.1, RFC 5425 §4.3: <c>MSG-LEN SP SYSLOG-MSG</c>),
/// so a message may contain line breaks. One persistent connection, opened on the first send and replaced after
/// any failure. A send writes the whole batch and flushes it, each step under a timeout so a blackholed peer
/// (SYN or data never acknowledged) fails the send instead of hanging the target's loop.
/// </summary>
/// <remarks>
/// Syslog has no application-level acknowledgment: "flushed" means the bytes were handed to TCP. To narrow the
/// window in which a receiver that went away swallows a batch, a reader drains the connection (TLS 1.3 session
/// tickets) and notices the receiver's FIN/RST, and the next send reconnects instead of writing into a dead
/// socket. What a receiver had accepted into its socket buffer but not processed when it died is lost to syslog by
/// design; the delivered sequence numbers and checkpoints let the SIEM detect it (docs/siem.md, Delivery).
/// </remarks>
public sealed class SyslogStreamSender : ISiemSender, ISiemUnacknowledgedSender
{
    private readonly SyslogEndpoint _endpoint;
    private readonly ISiemFormatter _formatter;
    private readonly SyslogTlsSettings? _tls;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _writeTimeout;
    private readonly TimeProvider _time;
    private Connection? _connection;
    private DateTimeOffset? _lostAt;

    public SyslogStreamSender(SyslogEndpoint endpoint, ISiemFormatter formatter, SyslogTlsSettings? tls, TimeSpan connectTimeout, TimeSpan writeTimeout,
        TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _endpoint = endpoint;
        _formatter = formatter;
        _tls = tls;
        _connectTimeout = connectTimeout;
        _writeTimeout = writeTimeout;
    }

    private string Transport => _tls is null ? "TCP" : "TLS";

    public async Task SendAsync(IReadOnlyList<SiemRecord> batch, CancellationToken cancellationToken)
    {
        var frames = Frame(batch);
        if (_connection is { ClosedAt: { } closedAt })
        {
            // The receiver closed the connection since the last send: what it had not yet processed may be lost, so
            // report it (the engine re-sends the recent batches) instead of silently reconnecting.
            await DropConnectionAsync();
            _lostAt = closedAt;
            throw new SiemDeliveryException($"{Transport} connection to {_endpoint} was closed by the receiver; reconnecting.");
        }

        var stage = "connection";
        try
        {
            _connection ??= await ConnectAsync(cancellationToken);
            stage = "write";
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_writeTimeout);
            await _connection.Stream.WriteAsync(frames.WrittenMemory, timeout.Token);
            await _connection.Stream.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is not SiemDeliveryException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            if (stage == "write")
            {
                _lostAt = _connection?.ClosedAt ?? _time.GetUtcNow();
            }

            await DropConnectionAsync();
            throw new SiemDeliveryException($"{Transport} {stage} to {_endpoint} failed: {SyslogErrors.Describe(e)}.", inner: e);
        }
        catch
        {
            // Cancelled by the caller (the engine's send timeout, or shutdown) in the middle of a write: what earlier
            // batches left in the socket buffers is as uncertain as after a lost connection, so it counts as one.
            if (stage == "write")
            {
                _lostAt = _connection?.ClosedAt ?? _time.GetUtcNow();
            }

            await DropConnectionAsync();
            throw;
        }
    }

    /// <summary>The batch as one buffer of octet-counted frames (the count is of UTF-8 octets).</summary>
    private ArrayBufferWriter<byte> Frame(IReadOnlyList<SiemRecord> batch)
    {
        var buffer = new ArrayBufferWriter<byte>(batch.Count * 512);
        Span<byte> prefix = stackalloc byte[16];
        foreach (var record in batch)
        {
            var message = _formatter.Format(record);
            var length = Encoding.UTF8.GetByteCount(message);
            length.TryFormat(prefix, out var written, default, CultureInfo.InvariantCulture);
            prefix[written++] = (byte)' ';
            buffer.Write(prefix[..written]);
            var span = buffer.GetSpan(length);
            Encoding.UTF8.GetBytes(message, span);
            buffer.Advance(length);
        }

        return buffer;
    }

    private async Task<Connection> ConnectAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_connectTimeout);
        var client = new TcpClient { NoDelay = true };
        Stream? stream = null;
        try
        {
            await client.ConnectAsync(_endpoint.Host, _endpoint.Port, timeout.Token);
            stream = client.GetStream();
            if (_tls is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(_tls.ClientOptions(_endpoint.Host), timeout.Token);
            }

            return new Connection(client, stream, _time);
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }

            client.Dispose();
            throw;
        }
    }

    private async Task DropConnectionAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    public DateTimeOffset? TakeConnectionLostAt()
    {
        var lostAt = _lostAt;
        _lostAt = null;
        return lostAt;
    }

    public async ValueTask DisposeAsync() => await DropConnectionAsync();

    private sealed class Connection : IAsyncDisposable
    {
        private readonly TcpClient _client;
        private readonly Task _reader;
        private readonly TimeProvider _time;
        private long _closedAtTicks;
        private volatile bool _disposed;

        public Connection(TcpClient client, Stream stream, TimeProvider time)
        {
            _client = client;
            _time = time;
            Stream = stream;
            _reader = Task.Run(DrainAsync);
        }

        public Stream Stream { get; }

        /// <summary>When the receiver closed or reset the connection (not set when we close it).</summary>
        public DateTimeOffset? ClosedAt => Interlocked.Read(ref _closedAtTicks) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

        /// <summary>A syslog receiver never sends data; reading consumes TLS records and notices the peer closing.</summary>
        private async Task DrainAsync()
        {
            var buffer = new byte[512];
            try
            {
                while (await Stream.ReadAsync(buffer) > 0)
                {
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException or AuthenticationException)
            {
                // closed either way
            }

            if (!_disposed)
            {
                Interlocked.Exchange(ref _closedAtTicks, _time.GetUtcNow().UtcTicks);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _disposed = true;
            try
            {
                await Stream.DisposeAsync();
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // the peer is gone; nothing to flush
            }

            _client.Dispose();
            await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}

/// <summary>TLS settings of a syslog-tls target: TLS 1.2 or 1.3 (the runtime prefers 1.3), server validation, optional client certificate.</summary>
public sealed class SyslogTlsSettings
{
    private readonly X509Certificate2Collection? _trustedRoots;
    private readonly X509Certificate2? _clientCertificate;

    public SyslogTlsSettings(string trustedCaPem, string? clientCertificatePfx)
    {
        if (!string.IsNullOrWhiteSpace(trustedCaPem))
        {
            try
            {
                _trustedRoots = [];
                _trustedRoots.ImportFromPem(trustedCaPem);
            }
            catch (CryptographicException e)
            {
                throw new SiemDeliveryException("The trusted CA is not a valid PEM certificate.", inner: e);
            }

            if (_trustedRoots.Count == 0)
            {
                throw new SiemDeliveryException("The trusted CA PEM holds no certificate.");
            }
        }

        if (!string.IsNullOrWhiteSpace(clientCertificatePfx))
        {
            try
            {
                _clientCertificate = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(clientCertificatePfx), password: null);
            }
            catch (Exception e) when (e is FormatException or CryptographicException)
            {
                throw new SiemDeliveryException("The client certificate is not a PKCS#12 (base64) without password.", inner: e);
            }

            if (!_clientCertificate.HasPrivateKey)
            {
                throw new SiemDeliveryException("The client certificate has no private key.");
            }
        }
    }

    public SslClientAuthenticationOptions ClientOptions(string host)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        };
        if (_trustedRoots is not null)
        {
            // Only the given CA (or the pinned certificate itself) anchors the chain; the host name is still checked
            // by SslStream. Private CAs rarely publish revocation lists, so none is required.
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(_trustedRoots);
        }

        if (_clientCertificate is not null)
        {
            options.ClientCertificates = [_clientCertificate];
        }

        return options;
    }
}
