using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CodeRaft.Admin.Features.Siem.Http;

/// <summary>
/// What the HEC and webhook senders share: HTTPS-only endpoints, the TLS trust rules of a target (system store, or
/// only the target's <see cref="SiemTarget.TrustedCaPem"/>), the optional client certificate, a per-request timeout,
/// Retry-After and the translation of transport failures into <see cref="SiemDeliveryException"/> messages that are
/// safe to show (never the token or secret).
/// </summary>
public static class SiemHttpTransport
{
    /// <summary>Per request; a slow or blackholed receiver costs at most this, then the engine backs off.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Validates a HEC or webhook URL the way the senders will use it (the UI and CLI call this too).</summary>
    public static bool TryValidateEndpoint(string? text, out Uri? uri, out string error)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "The URL is required.";
            return false;
        }

        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var parsed) || string.IsNullOrEmpty(parsed.Host))
        {
            error = "The URL is not a valid absolute URL.";
            return false;
        }

        if (parsed.Scheme != Uri.UriSchemeHttps)
        {
            error = "The URL must start with https:// (events are never sent in clear text).";
            return false;
        }

        if (!string.IsNullOrEmpty(parsed.UserInfo) || !string.IsNullOrEmpty(parsed.Fragment))
        {
            error = "The URL must not contain credentials or a fragment.";
            return false;
        }

        uri = parsed;
        error = "";
        return true;
    }

    internal static Uri RequireHttps(string endpoint)
    {
        if (!TryValidateEndpoint(endpoint, out var uri, out var error))
        {
            throw new SiemDeliveryException(error);
        }

        return uri!;
    }

    /// <summary>
    /// The handler for a target: the server certificate is validated against the system store, or — when the target
    /// has a <see cref="SiemTarget.TrustedCaPem"/> — against those certificates only (custom root trust, so a
    /// self-signed receiver can be pinned without trusting it machine-wide). Host names are checked either way.
    /// </summary>
    internal static SocketsHttpHandler CreateHandler(SiemTarget target)
    {
        var ssl = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };

        if (!string.IsNullOrWhiteSpace(target.TrustedCaPem))
        {
            var trusted = new X509Certificate2Collection();
            try
            {
                trusted.ImportFromPem(target.TrustedCaPem);
            }
            catch (CryptographicException e)
            {
                throw new SiemDeliveryException("The trusted CA is not valid PEM.", inner: e);
            }

            if (trusted.Count == 0)
            {
                throw new SiemDeliveryException("The trusted CA PEM holds no certificate.");
            }

            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(trusted);
            // Intermediates pasted along with the root help the chain build when the server omits them.
            policy.ExtraStore.AddRange(trusted);
            ssl.CertificateChainPolicy = policy;
        }

        if (!string.IsNullOrWhiteSpace(target.ClientCertificatePfx))
        {
            try
            {
                var certificate = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(target.ClientCertificatePfx), password: null);
                if (!certificate.HasPrivateKey)
                {
                    throw new SiemDeliveryException("The client certificate has no private key.");
                }

                ssl.ClientCertificates = [certificate];
            }
            catch (Exception e) when (e is FormatException or CryptographicException)
            {
                throw new SiemDeliveryException("The client certificate is not a valid PKCS#12 (base64, no password).", inner: e);
            }
        }

        return new SocketsHttpHandler
        {
            SslOptions = ssl,
            ConnectTimeout = DefaultRequestTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
    }

    /// <summary>A receiver's answer is a short status document; a larger one is not read (a broken or hostile receiver
    /// must not make the portal buffer gigabytes).</summary>
    internal const int MaxAnswerBytes = 1024 * 1024;

    internal static HttpClient CreateClient(SiemTarget target, HttpMessageHandler? handler) =>
        // Timeouts are applied per request with the sender's TimeProvider, not by HttpClient.
        handler is null
            ? new HttpClient(CreateHandler(target), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = MaxAnswerBytes }
            : new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = MaxAnswerBytes };

    /// <summary>Sends with a timeout of its own; transport failures become <see cref="SiemDeliveryException"/>.</summary>
    internal static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage request, TimeSpan timeout,
        TimeProvider time, string receiver, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token);
            return response;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new SiemDeliveryException($"{receiver} did not answer within {timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException e)
        {
            throw new SiemDeliveryException($"{receiver}: {Describe(e)}", inner: e);
        }
    }

    private static string Describe(HttpRequestException e)
    {
        if (e.InnerException is AuthenticationException)
        {
            return "the TLS handshake failed: the server's certificate is not trusted (set the trusted CA) or does not match the host name.";
        }

        return e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "the host name could not be resolved.",
            HttpRequestError.ConnectionError => "the connection was refused or could not be established.",
            HttpRequestError.SecureConnectionError => "the TLS handshake failed.",
            HttpRequestError.ConfigurationLimitExceeded => $"the answer is larger than {MaxAnswerBytes / 1024 / 1024} MiB, so it was not read.",
            _ => "the request failed (" + e.HttpRequestError + ").",
        };
    }

    /// <summary>The receiver's Retry-After as a delay (delta seconds or an HTTP date); null when absent.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    /// <summary>Shortens a receiver's error text for the status page and removes the secret should it be echoed.</summary>
    internal static string Redact(string? text, string? secret)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "";
        }

        var clean = new string(text.Where(c => !char.IsControl(c)).ToArray()).Trim();
        if (!string.IsNullOrEmpty(secret))
        {
            clean = clean.Replace(secret, "[redacted]", StringComparison.Ordinal);
        }

        return clean.Length > 200 ? clean[..200] + "…" : clean;
    }

    /// <summary>
    /// Writes the formatter's output for a record as a JSON value: the §4 export object as is (validated by the
    /// writer), or — should a non-JSON formatter be configured — as a JSON string, so the body stays valid JSON.
    /// </summary>
    internal static void WriteRecord(System.Text.Json.Utf8JsonWriter json, ISiemFormatter formatter, SiemRecord record)
    {
        var text = formatter.Format(record);
        if (text.AsSpan().TrimStart().StartsWith("{"))
        {
            json.WriteRawValue(text);
        }
        else
        {
            json.WriteStringValue(text);
        }
    }
}
