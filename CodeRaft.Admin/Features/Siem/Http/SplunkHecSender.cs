using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CodeRaft.Admin.Features.Siem.Http;

/// <summary>
/// Splunk HTTP Event Collector: one POST to <c>/services/collector/event</c> per batch, the body a concatenation of
/// HEC event objects whose <c>event</c> is the §4 export shape. With indexer acknowledgment the batch counts as
/// delivered only once <c>/services/collector/ack</c> reports its ackId as indexed; until then, or on any refusal,
/// <see cref="SiemDeliveryException"/> makes the engine send the batch again (at least once).
/// </summary>
public sealed class SplunkHecSender : ISiemSender
{
    public const string DefaultSourceType = "coderaft:audit";
    public const string Source = "coderaft";

    private const string Receiver = "HEC";
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly SiemTarget _target;
    private readonly ISiemFormatter _formatter;
    private readonly TimeProvider _time;
    private readonly HttpClient _client;
    private readonly Uri _eventUri;
    private readonly Uri _ackUri;
    private readonly string _token;
    private readonly string _host = Environment.MachineName;

    /// <summary>
    /// <paramref name="formatter"/> is the target's JSON formatter (its output, the §4 export object, becomes each
    /// event's <c>event</c>). <paramref name="handler"/> replaces the TLS handler built from the target (tests); it is
    /// not disposed by the sender. Throws <see cref="SiemDeliveryException"/> for an http:// or malformed URL, a
    /// missing token or an unusable trusted CA / client certificate.
    /// </summary>
    public SplunkHecSender(SiemTarget target, ISiemFormatter formatter, TimeProvider time, HttpMessageHandler? handler = null)
    {
        _target = target;
        _formatter = formatter;
        _time = time;
        var uri = SiemHttpTransport.RequireHttps(target.Endpoint);
        if (string.IsNullOrWhiteSpace(target.Secret))
        {
            throw new SiemDeliveryException("The HEC token is missing.");
        }

        _token = target.Secret.Trim();
        var root = BaseUri(uri);
        _eventUri = new Uri(root + "/services/collector/event");
        _ackUri = new Uri(root + "/services/collector/ack");
        _client = SiemHttpTransport.CreateClient(target, handler);
    }

    /// <summary>The HEC channel of this sender (sent as X-Splunk-Request-Channel when acknowledgments are on).</summary>
    public Guid Channel { get; } = Guid.NewGuid();

    public TimeSpan RequestTimeout { get; init; } = SiemHttpTransport.DefaultRequestTimeout;

    /// <summary>How long a batch may wait to be indexed before it is sent again.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(15); // with the 10 s request, within the engine's 30 s send timeout, so this message (not a generic timeout) is what users see

    /// <summary>The first pause between ack polls; it doubles up to <see cref="MaxAckPollInterval"/>.</summary>
    public TimeSpan AckPollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxAckPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    public async Task SendAsync(IReadOnlyList<SiemRecord> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        using var request = NewRequest(_eventUri, Body(batch));
        using var response = await SiemHttpTransport.SendAsync(_client, request, RequestTimeout, _time, Receiver, cancellationToken);
        using var answer = await ReadAsync(response, cancellationToken);
        if (!_target.HecAcknowledgments)
        {
            return;
        }

        if (answer is null || !answer.RootElement.TryGetProperty("ackId", out var ack) || !ack.TryGetInt64(out var ackId))
        {
            throw new SiemDeliveryException("HEC accepted the events but returned no ackId: enable indexer acknowledgment on the token, or turn it off for this target.");
        }

        await WaitForAckAsync(ackId, cancellationToken);
    }

    private byte[] Body(IReadOnlyList<SiemRecord> batch)
    {
        using var buffer = new MemoryStream(batch.Count * 512);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            foreach (var record in batch)
            {
                json.WriteStartObject();
                json.WriteNumber("time", EpochSeconds(record));
                json.WriteString("host", _host);
                json.WriteString("source", Source);
                json.WriteString("sourcetype", string.IsNullOrWhiteSpace(_target.HecSourceType) ? DefaultSourceType : _target.HecSourceType.Trim());
                if (!string.IsNullOrWhiteSpace(_target.HecIndex))
                {
                    json.WriteString("index", _target.HecIndex.Trim());
                }

                json.WritePropertyName("event");
                SiemHttpTransport.WriteRecord(json, _formatter, record);
                json.WriteEndObject();
                // HEC reads concatenated objects; a newline keeps the body readable in a capture and costs one byte.
                json.Flush();
                buffer.WriteByte((byte)'\n');
                json.Reset();
            }
        }

        return buffer.ToArray();
    }

    /// <summary>The record's own time (not the send time), so a replayed or retried event lands where it happened.</summary>
    private decimal EpochSeconds(SiemRecord record)
    {
        var text = record.Entry?.Timestamp ?? record.Checkpoint?.Timestamp;
        var when = DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : _time.GetUtcNow();
        return when.ToUnixTimeMilliseconds() / 1000m;
    }

    private async Task WaitForAckAsync(long ackId, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + AckTimeout;
        var pause = AckPollInterval;
        var body = System.Text.Encoding.UTF8.GetBytes(FormattableString.Invariant($"{{\"acks\":[{ackId}]}}"));
        var key = ackId.ToString(CultureInfo.InvariantCulture);
        while (true)
        {
            using (var request = NewRequest(_ackUri, body))
            using (var response = await SiemHttpTransport.SendAsync(_client, request, RequestTimeout, _time, Receiver, cancellationToken))
            using (var answer = await ReadAsync(response, cancellationToken))
            {
                if (answer is not null
                    && answer.RootElement.TryGetProperty("acks", out var acks)
                    && acks.ValueKind == JsonValueKind.Object
                    && acks.TryGetProperty(key, out var done)
                    && done.ValueKind == JsonValueKind.True)
                {
                    return;
                }
            }

            var left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new SiemDeliveryException($"HEC did not acknowledge the batch (ackId {ackId}) within {AckTimeout.TotalSeconds:0.#} s; it will be sent again.");
            }

            await Task.Delay(pause < left ? pause : left, _time, cancellationToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxAckPollInterval.Ticks));
        }
    }

    private HttpRequestMessage NewRequest(Uri uri, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("Authorization", "Splunk " + _token);
        if (_target.HecAcknowledgments)
        {
            request.Headers.TryAddWithoutValidation("X-Splunk-Request-Channel", Channel.ToString());
        }

        return request;
    }

    /// <summary>The JSON answer of a 2xx; a <see cref="SiemDeliveryException"/> with HEC's reason otherwise.</summary>
    private async Task<JsonDocument?> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonDocument? answer = null;
        try
        {
            answer = text.Length == 0 ? null : JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            // A proxy's HTML error page, say; the status code still tells what happened.
        }

        if (response.IsSuccessStatusCode)
        {
            return answer;
        }

        using (answer)
        {
            var reason = answer is not null && answer.RootElement.ValueKind == JsonValueKind.Object
                && answer.RootElement.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String
                    ? SiemHttpTransport.Redact(t.GetString(), _token)
                    : response.ReasonPhrase ?? "";
            var status = (int)response.StatusCode + (reason.Length > 0 ? ": " + reason : "");
            throw response.StatusCode switch
            {
                HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests =>
                    new SiemDeliveryException($"HEC is busy ({status}).", SiemHttpTransport.RetryAfter(response, _time)),
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                    new SiemDeliveryException($"HEC refused the token ({status})."),
                HttpStatusCode.BadRequest =>
                    new SiemDeliveryException($"HEC refused the events ({status}); check the index and sourcetype."),
                HttpStatusCode.NotFound =>
                    new SiemDeliveryException($"HEC was not found at this URL ({status}); the URL is the collector's base, e.g. https://splunk:8088."),
                _ => new SiemDeliveryException($"HEC answered {status}."),
            };
        }
    }

    /// <summary>Accepts the collector's base URL or one that already names an endpoint below /services/collector.</summary>
    private static string BaseUri(Uri uri)
    {
        var path = uri.AbsolutePath.TrimEnd('/');
        var at = path.IndexOf("/services/collector", StringComparison.OrdinalIgnoreCase);
        if (at >= 0)
        {
            path = path[..at];
        }

        return uri.GetLeftPart(UriPartial.Authority) + path;
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
