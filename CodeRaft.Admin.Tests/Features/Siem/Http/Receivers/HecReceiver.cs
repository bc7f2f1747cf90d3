using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CodeRaft.Admin.Tests.Features.Siem.Http.Receivers;

/// <summary>
/// A minimal Splunk HTTP Event Collector: <c>/services/collector/event</c> (token check, concatenated event objects,
/// channel header and ackId when acknowledgments are on) and <c>/services/collector/ack</c>. It can be told to answer
/// 503 + Retry-After a number of times, to hang, and when (or whether) to acknowledge.
/// </summary>
public sealed class HecReceiver : LoopbackHttpsServer
{
    private readonly string _token;
    private long _nextAckId;
    private readonly ConcurrentDictionary<long, int> _pollsLeft = new();

    private HecReceiver(string token, bool acknowledgments, X509Certificate2? certificate, bool requestClientCertificate)
        : base(certificate)
    {
        RequestClientCertificate = requestClientCertificate;
        _token = token;
        Acknowledgments = acknowledgments;
    }

    public static async Task<HecReceiver> StartAsync(string token, bool acknowledgments = false, X509Certificate2? certificate = null,
        bool requestClientCertificate = false)
    {
        var receiver = new HecReceiver(token, acknowledgments, certificate, requestClientCertificate);
        await receiver.StartAsync();
        return receiver;
    }

    public bool Acknowledgments { get; }

    /// <summary>Events (the HEC envelope objects) in arrival order.</summary>
    public ConcurrentQueue<JsonElement> Events { get; } = new();

    public ConcurrentQueue<string> Channels { get; } = new();

    private int _eventRequests;
    private int _ackRequests;

    public int EventRequests => Volatile.Read(ref _eventRequests);

    public int AckRequests => Volatile.Read(ref _ackRequests);

    /// <summary>The next N event requests get 503 with Retry-After: <see cref="RetryAfterSeconds"/>.</summary>
    public int BusyResponses { get; set; }

    public int RetryAfterSeconds { get; set; } = 7;

    /// <summary>Event requests wait this long before answering (a blackholed receiver).</summary>
    public TimeSpan Hang { get; set; }

    /// <summary>When above 0: the event endpoint answers 200 with a body of this many bytes (a broken or hostile receiver).</summary>
    public int OversizedAnswerBytes { get; set; }

    /// <summary>An ackId reads true after this many polls; int.MaxValue = never.</summary>
    public int AckAfterPolls { get; set; }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/services/collector/event", (Delegate)EventAsync);
        app.MapPost("/services/collector/ack", (Delegate)AckAsync);
    }

    private bool Authorized(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var expected = "Splunk " + _token;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), Encoding.UTF8.GetBytes(expected));
    }

    private async Task<IResult> EventAsync(HttpContext context)
    {
        Interlocked.Increment(ref _eventRequests);
        LastClientCertificate = context.Connection.ClientCertificate;
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

        if (OversizedAnswerBytes > 0)
        {
            return Results.Text(new string(' ', OversizedAnswerBytes), "application/json");
        }

        if (!Authorized(context))
        {
            return context.Request.Headers.Authorization.Count == 0
                ? Results.Json(new { text = "Token is required", code = 2 }, statusCode: 401)
                : Results.Json(new { text = "Invalid token", code = 4 }, statusCode: 403);
        }

        if (BusyResponses > 0)
        {
            BusyResponses--;
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(new { text = "Server is busy", code = 9 }, statusCode: 503);
        }

        var channel = context.Request.Headers["X-Splunk-Request-Channel"].ToString();
        if (Acknowledgments && !Guid.TryParse(channel, out _))
        {
            return Results.Json(new { text = "Data channel is missing", code = 10 }, statusCode: 400);
        }

        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var parsed = new List<JsonElement>();
        try
        {
            // HEC's wire format: JSON objects one after another (whitespace between them allowed).
            var bytes = Encoding.UTF8.GetBytes(body);
            var json = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
            while (json.Read())
            {
                using var document = JsonDocument.ParseValue(ref json);
                if (!document.RootElement.TryGetProperty("event", out _))
                {
                    return Results.Json(new { text = "Event field is required", code = 12 }, statusCode: 400);
                }

                parsed.Add(document.RootElement.Clone());
            }
        }
        catch (JsonException)
        {
            return Results.Json(new { text = "Invalid data format", code = 6 }, statusCode: 400);
        }

        if (parsed.Count == 0)
        {
            return Results.Json(new { text = "No data", code = 5 }, statusCode: 400);
        }

        foreach (var element in parsed)
        {
            Events.Enqueue(element);
        }

        if (!Acknowledgments)
        {
            return Results.Json(new { text = "Success", code = 0 });
        }

        Channels.Enqueue(channel);
        var ackId = Interlocked.Increment(ref _nextAckId) - 1;
        _pollsLeft[ackId] = AckAfterPolls;
        return Results.Json(new { text = "Success", code = 0, ackId });
    }

    private async Task<IResult> AckAsync(HttpContext context)
    {
        Interlocked.Increment(ref _ackRequests);
        if (!Authorized(context))
        {
            return Results.Json(new { text = "Invalid token", code = 4 }, statusCode: 403);
        }

        if (!Guid.TryParse(context.Request.Headers["X-Splunk-Request-Channel"].ToString(), out _))
        {
            return Results.Json(new { text = "Data channel is missing", code = 10 }, statusCode: 400);
        }

        using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var acks = new Dictionary<string, bool>();
        foreach (var id in document.RootElement.GetProperty("acks").EnumerateArray())
        {
            var ackId = id.GetInt64();
            var done = false;
            if (_pollsLeft.TryGetValue(ackId, out var left))
            {
                done = left <= 0;
                if (left is > 0 and < int.MaxValue)
                {
                    _pollsLeft[ackId] = left - 1;
                }
            }

            acks[ackId.ToString(System.Globalization.CultureInfo.InvariantCulture)] = done;
        }

        return Results.Json(new { acks });
    }
}
