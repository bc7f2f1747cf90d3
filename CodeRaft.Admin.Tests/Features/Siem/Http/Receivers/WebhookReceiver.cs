using System.Collections.Concurrent;
using System.Text.Json;
using CodeRaft.Admin.Features.Siem.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CodeRaft.Admin.Tests.Features.Siem.Http.Receivers;

/// <summary>
/// A Standard Webhooks consumer: verifies webhook-id / webhook-timestamp / webhook-signature against its secret
/// (401 when they do not verify), records what it accepted, and can be told which status to answer or to hang.
/// </summary>
public sealed class WebhookReceiver : LoopbackHttpsServer
{
    private readonly byte[] _key;

    private WebhookReceiver(string secret)
    {
        if (!StandardWebhookSignature.TryParseSecret(secret, out _key, out var error))
        {
            throw new ArgumentException(error, nameof(secret));
        }
    }

    public static async Task<WebhookReceiver> StartAsync(string secret)
    {
        var receiver = new WebhookReceiver(secret);
        await receiver.StartAsync();
        return receiver;
    }

    public sealed record Message(string Id, long Timestamp, JsonElement Body);

    public ConcurrentQueue<Message> Accepted { get; } = new();

    private int _requests;
    private int _signatureFailures;

    public int Requests => Volatile.Read(ref _requests);

    public int SignatureFailures => Volatile.Read(ref _signatureFailures);

    /// <summary>The next N requests are answered with <see cref="Status"/> (and Retry-After when set).</summary>
    public int StatusResponses { get; set; }

    public int Status { get; set; } = 503;

    public int? RetryAfterSeconds { get; set; }

    public TimeSpan Hang { get; set; }

    protected override void Map(WebApplication app) => app.MapPost("/hook", (Delegate)ReceiveAsync);

    public Uri HookUri => new(BaseUri, "/hook");

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (Hang > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Hang, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return Results.Empty;
            }
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var id = context.Request.Headers["webhook-id"].ToString();
        var timestamp = context.Request.Headers["webhook-timestamp"].ToString();
        var signature = context.Request.Headers["webhook-signature"].ToString();
        if (id.Length == 0 || !StandardWebhookSignature.Verify(signature, id, timestamp, body, _key, DateTimeOffset.UtcNow))
        {
            Interlocked.Increment(ref _signatureFailures);
            return Results.Unauthorized();
        }

        if (StatusResponses > 0)
        {
            StatusResponses--;
            if (RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Results.StatusCode(Status);
        }

        using var document = JsonDocument.Parse(body);
        Accepted.Enqueue(new Message(id, long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture), document.RootElement.Clone()));
        return Results.NoContent();
    }
}
