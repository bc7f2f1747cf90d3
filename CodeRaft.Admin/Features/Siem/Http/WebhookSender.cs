using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CodeRaft.Admin.Features.Siem.Http;

/// <summary>
/// Signed webhooks per Standard Webhooks v1: one POST per batch, body <c>{"events":[…]}</c> (each event the §4 export
/// shape), headers <c>webhook-id</c>, <c>webhook-timestamp</c> and <c>webhook-signature</c>. One message per batch
/// rather than per event: at ≥ 10,000 events/s a request per event would cost more in TLS round trips than the events
/// themselves. The id is derived from the batch (target, first and last sequence, count), so a retried batch keeps
/// its id and receivers can drop the duplicate; the timestamp and signature are fresh on each attempt, as the spec
/// requires.
/// </summary>
public sealed class WebhookSender : ISiemSender
{
    private const string Receiver = "The webhook";
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly SiemTarget _target;
    private readonly ISiemFormatter _formatter;
    private readonly TimeProvider _time;
    private readonly HttpClient _client;
    private readonly Uri _uri;
    private readonly byte[] _key;

    /// <summary>
    /// <paramref name="formatter"/> is the target's JSON formatter; <paramref name="handler"/> replaces the TLS handler
    /// built from the target (tests) and is not disposed by the sender. Throws <see cref="SiemDeliveryException"/> for
    /// an http:// or malformed URL, a missing or malformed secret, or an unusable trusted CA / client certificate.
    /// </summary>
    public WebhookSender(SiemTarget target, ISiemFormatter formatter, TimeProvider time, HttpMessageHandler? handler = null)
    {
        _target = target;
        _formatter = formatter;
        _time = time;
        _uri = SiemHttpTransport.RequireHttps(target.Endpoint);
        if (!StandardWebhookSignature.TryParseSecret(target.Secret, out _key, out var error))
        {
            throw new SiemDeliveryException(error);
        }

        _client = SiemHttpTransport.CreateClient(target, handler);
    }

    public TimeSpan RequestTimeout { get; init; } = SiemHttpTransport.DefaultRequestTimeout;

    public async Task SendAsync(IReadOnlyList<SiemRecord> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var body = Body(batch);
        var id = MessageId(_target.Id, batch);
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("webhook-id", id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", StandardWebhookSignature.Sign(id, timestamp, body, _key));

        using var response = await SiemHttpTransport.SendAsync(_client, request, RequestTimeout, _time, Receiver, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)
            + (string.IsNullOrEmpty(response.ReasonPhrase) ? "" : " " + response.ReasonPhrase);
        throw response.StatusCode switch
        {
            HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable =>
                new SiemDeliveryException($"The webhook is busy ({status}).", SiemHttpTransport.RetryAfter(response, _time)),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                new SiemDeliveryException($"The webhook refused the signature ({status}); check that both sides use the same secret."),
            >= HttpStatusCode.MultipleChoices and < HttpStatusCode.BadRequest =>
                new SiemDeliveryException($"The webhook answered a redirect ({status}); redirects are not followed, use the final URL."),
            _ => new SiemDeliveryException($"The webhook answered {status}."),
        };
    }

    /// <summary>
    /// <c>msg_</c> + the whole target id + first and last sequence + count: stable across retries of the same batch,
    /// distinct between targets posting to one receiver (version-7 ids share their first digits when created close
    /// together, so all of it is used), readable in the receiver's logs. A test event (sequence 0, not part of the
    /// chain) gets a random suffix: a receiver that de-duplicates by webhook-id must not drop the second test.
    /// </summary>
    public static string MessageId(Guid targetId, IReadOnlyList<SiemRecord> batch) => batch[0].Sequence == 0
        ? string.Create(CultureInfo.InvariantCulture, $"msg_{targetId:N}_test_{Guid.NewGuid():N}")
        : string.Create(CultureInfo.InvariantCulture, $"msg_{targetId:N}_{batch[0].Sequence}_{batch[^1].Sequence}_{batch.Count}");

    private byte[] Body(IReadOnlyList<SiemRecord> batch)
    {
        using var buffer = new MemoryStream(batch.Count * 512);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartArray("events");
            foreach (var record in batch)
            {
                SiemHttpTransport.WriteRecord(json, _formatter, record);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
