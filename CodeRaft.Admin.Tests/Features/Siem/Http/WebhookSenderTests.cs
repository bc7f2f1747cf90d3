using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Http;
using CodeRaft.Admin.Tests.Features.Siem.Http.Receivers;

namespace CodeRaft.Admin.Tests.Features.Siem.Http;

public sealed class WebhookSenderTests
{
    private static readonly string Secret = StandardWebhookSignature.GenerateSecret();

    private static SiemTarget Target(WebhookReceiver receiver, string? secret = null) => new()
    {
        Id = Guid.NewGuid(),
        Name = "hook",
        Type = SiemTargetType.Webhook,
        Endpoint = receiver.HookUri.ToString(),
        Format = SiemFormat.Json,
        Secret = secret ?? Secret,
        TrustedCaPem = receiver.CertificatePem,
        CreatedBy = "test",
    };

    private static WebhookSender Sender(SiemTarget target) => new(target, new ExportJsonFormatter(), TimeProvider.System);

    [Fact]
    public async Task SendAsync_Batch_ReceiverVerifiesSignatureAndGetsEveryEvent()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        var target = Target(receiver);
        await using var sender = Sender(target);
        var batch = SiemHttpTestData.Batch(10, 4).Append(SiemHttpTestData.Checkpoint(13)).ToList();

        await sender.SendAsync(batch, CancellationToken.None);

        Assert.Equal(0, receiver.SignatureFailures);
        var message = Assert.Single(receiver.Accepted);
        Assert.Equal(WebhookSender.MessageId(target.Id, batch), message.Id);
        var events = message.Body.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal([10L, 11L, 12L, 13L, 13L], events.Select(e => e.GetProperty("sequence").GetInt64()));
        Assert.Equal(SiemHttpTestData.Entry(10).Entry!.Hash, events[0].GetProperty("hash").GetString());
        Assert.Equal("0123456789abcdef", events[4].GetProperty("key_id").GetString());
    }

    [Fact]
    public async Task SendAsync_RetryOfTheSameBatch_KeepsTheWebhookId()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        receiver.StatusResponses = 1;
        receiver.Status = 500;
        var target = Target(receiver);
        await using var sender = Sender(target);
        var batch = SiemHttpTestData.Batch(100, 3);

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(batch, CancellationToken.None));
        await sender.SendAsync(batch, CancellationToken.None);

        Assert.Equal("The webhook answered 500 Internal Server Error.", error.Message);
        Assert.Null(error.RetryAfter);
        Assert.Equal($"msg_{target.Id:N}_100_102_3", Assert.Single(receiver.Accepted).Id);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    public async Task SendAsync_BusyWithRetryAfter_ThrowsWithRetryAfter(int status)
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        receiver.StatusResponses = 1;
        receiver.Status = status;
        receiver.RetryAfterSeconds = 12;
        await using var sender = Sender(Target(receiver));

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(12), error.RetryAfter);
        Assert.Contains("busy", error.Message);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(410)]
    public async Task SendAsync_ClientError_ThrowsWithoutRetryAfter(int status)
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        receiver.StatusResponses = 1;
        receiver.Status = status;
        await using var sender = Sender(Target(receiver));

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.StartsWith($"The webhook answered {status}", error.Message);
        Assert.Null(error.RetryAfter);
        Assert.Empty(receiver.Accepted);
    }

    [Fact]
    public async Task SendAsync_SecretsDiffer_ReceiverRefusesAndMessageSaysSoWithoutTheSecret()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        var wrong = StandardWebhookSignature.GenerateSecret();
        await using var sender = Sender(Target(receiver, wrong));

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.Contains("refused the signature", error.Message);
        Assert.DoesNotContain(wrong, error.ToString());
        Assert.Equal(1, receiver.SignatureFailures);
    }

    [Fact]
    public async Task SendAsync_SelfSignedServerWithoutTrustedCa_RefusesTheCertificate()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        var target = Target(receiver);
        target.TrustedCaPem = "";
        await using var sender = Sender(target);

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.Contains("certificate is not trusted", error.Message);
        Assert.Equal(0, receiver.Requests);
    }

    [Fact]
    public async Task SendAsync_HangingReceiver_ThrowsAfterTheRequestTimeout()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        receiver.Hang = TimeSpan.FromMinutes(2);
        await using var sender = new WebhookSender(Target(receiver), new ExportJsonFormatter(), TimeProvider.System)
        {
            RequestTimeout = TimeSpan.FromMilliseconds(300),
        };

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.Equal("The webhook did not answer within 0.3 s.", error.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000/hook", "The URL must start with https://")]
    [InlineData("https://hooks.example.test/x", "The signing secret")]
    public void Constructor_BadUrlOrSecret_ThrowsClearMessage(string endpoint, string message)
    {
        var target = new SiemTarget
        {
            Name = "hook",
            Type = SiemTargetType.Webhook,
            Endpoint = endpoint,
            Secret = endpoint.StartsWith("http:", StringComparison.Ordinal) ? Secret : "whsec_tooshort",
            CreatedBy = "test",
        };

        var error = Assert.Throws<SiemDeliveryException>(() => new WebhookSender(target, new ExportJsonFormatter(), TimeProvider.System));

        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Constructor_MalformedTrustedCa_ThrowsClearMessage()
    {
        var target = new SiemTarget
        {
            Name = "hook",
            Type = SiemTargetType.Webhook,
            Endpoint = "https://hooks.example.test/x",
            Secret = Secret,
            TrustedCaPem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----",
            CreatedBy = "test",
        };

        var error = Assert.Throws<SiemDeliveryException>(() => new WebhookSender(target, new ExportJsonFormatter(), TimeProvider.System));

        Assert.StartsWith("The trusted CA", error.Message);
    }
}
