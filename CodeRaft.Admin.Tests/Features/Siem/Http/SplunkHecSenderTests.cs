using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Http;
using CodeRaft.Admin.Tests.Features.Siem.Http.Receivers;

namespace CodeRaft.Admin.Tests.Features.Siem.Http;

public sealed class SplunkHecSenderTests
{
    private const string Token = "11111111-2222-3333-4444-555555555555";

    private static SiemTarget Target(LoopbackHttpsServer receiver, string? token = Token, bool acks = false, string index = "", string sourceType = "") => new()
    {
        Id = Guid.NewGuid(),
        Name = "hec",
        Type = SiemTargetType.SplunkHec,
        Endpoint = receiver.BaseUri.ToString(),
        Format = SiemFormat.Json,
        Secret = token,
        TrustedCaPem = receiver.CertificatePem,
        HecIndex = index,
        HecSourceType = sourceType,
        HecAcknowledgments = acks,
        CreatedBy = "test",
    };

    private static SplunkHecSender Sender(SiemTarget target) => new(target, new ExportJsonFormatter(), TimeProvider.System)
    {
        AckPollInterval = TimeSpan.FromMilliseconds(20),
        MaxAckPollInterval = TimeSpan.FromMilliseconds(50),
        AckTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task SendAsync_BatchWithCheckpoint_PostsOneHecEventPerRecordWithAllFields()
    {
        await using var receiver = await HecReceiver.StartAsync(Token);
        await using var sender = Sender(Target(receiver, index: "security", sourceType: "coderaft:json"));
        var batch = SiemHttpTestData.Batch(41, 3).Append(SiemHttpTestData.Checkpoint(43)).ToList();

        await sender.SendAsync(batch, CancellationToken.None);

        Assert.Equal(1, receiver.EventRequests);
        var events = receiver.Events.ToList();
        Assert.Equal(4, events.Count);
        Assert.Equal([41L, 42L, 43L, 43L], events.Select(e => e.GetProperty("event").GetProperty("sequence").GetInt64()));
        var first = events[0];
        Assert.Equal(1795953600.25m, first.GetProperty("time").GetDecimal());
        Assert.Equal(Environment.MachineName, first.GetProperty("host").GetString());
        Assert.Equal("coderaft", first.GetProperty("source").GetString());
        Assert.Equal("coderaft:json", first.GetProperty("sourcetype").GetString());
        Assert.Equal("security", first.GetProperty("index").GetString());
        var entry = first.GetProperty("event");
        Assert.Equal(SiemHttpTestData.Entry(41).Entry!.Hash, entry.GetProperty("hash").GetString());
        Assert.Equal("Alice \"the admin\"", entry.GetProperty("actor_name").GetString());
        Assert.Equal("{\"method\":\"totp\"}", entry.GetProperty("details").GetString());
        var checkpoint = events[3].GetProperty("event");
        Assert.Equal("0123456789abcdef", checkpoint.GetProperty("key_id").GetString());
        Assert.Equal(1795953900m, events[3].GetProperty("time").GetDecimal());
    }

    [Fact]
    public async Task SendAsync_NoIndexOrSourceType_UsesDefaultSourceTypeAndOmitsIndex()
    {
        await using var receiver = await HecReceiver.StartAsync(Token);
        await using var sender = Sender(Target(receiver));

        await sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None);

        var hecEvent = Assert.Single(receiver.Events);
        Assert.Equal(SplunkHecSender.DefaultSourceType, hecEvent.GetProperty("sourcetype").GetString());
        Assert.False(hecEvent.TryGetProperty("index", out _));
    }

    [Fact]
    public async Task SendAsync_EndpointNamesTheEventPath_PostsToTheSameCollector()
    {
        await using var receiver = await HecReceiver.StartAsync(Token);
        var target = Target(receiver);
        target.Endpoint = new Uri(receiver.BaseUri, "/services/collector/event").ToString();
        await using var sender = Sender(target);

        await sender.SendAsync(SiemHttpTestData.Batch(1, 2), CancellationToken.None);

        Assert.Equal(2, receiver.Events.Count);
    }

    [Fact]
    public async Task SendAsync_AcknowledgedAfterSomePolls_ReturnsOnceIndexed()
    {
        await using var receiver = await HecReceiver.StartAsync(Token, acknowledgments: true);
        receiver.AckAfterPolls = 3;
        await using var sender = Sender(Target(receiver, acks: true));

        await sender.SendAsync(SiemHttpTestData.Batch(1, 5), CancellationToken.None);

        Assert.Equal(4, receiver.AckRequests);
        Assert.Equal(sender.Channel.ToString(), Assert.Single(receiver.Channels));
        Assert.Equal(5, receiver.Events.Count);
    }

    [Fact]
    public async Task SendAsync_NeverAcknowledged_ThrowsSoTheBatchIsSentAgain()
    {
        await using var receiver = await HecReceiver.StartAsync(Token, acknowledgments: true);
        receiver.AckAfterPolls = int.MaxValue;
        await using var sender = new SplunkHecSender(Target(receiver, acks: true), new ExportJsonFormatter(), TimeProvider.System)
        {
            AckPollInterval = TimeSpan.FromMilliseconds(20),
            MaxAckPollInterval = TimeSpan.FromMilliseconds(50),
            AckTimeout = TimeSpan.FromMilliseconds(300),
        };

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 2), CancellationToken.None));

        Assert.Contains("did not acknowledge", error.Message);
        Assert.Contains("ackId 0", error.Message);
        Assert.True(receiver.AckRequests >= 2);
    }

    [Fact]
    public async Task SendAsync_AcknowledgmentsOnButReceiverGivesNoAckId_ThrowsClearMessage()
    {
        await using var receiver = await HecReceiver.StartAsync(Token, acknowledgments: false);
        await using var sender = Sender(Target(receiver, acks: true));

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.Contains("no ackId", error.Message);
    }

    [Fact]
    public async Task SendAsync_ServerBusyWithRetryAfter_ThrowsWithRetryAfterThenSucceeds()
    {
        await using var receiver = await HecReceiver.StartAsync(Token);
        receiver.BusyResponses = 1;
        receiver.RetryAfterSeconds = 7;
        await using var sender = Sender(Target(receiver));
        var batch = SiemHttpTestData.Batch(1, 3);

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(batch, CancellationToken.None));
        await sender.SendAsync(batch, CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Contains("503", error.Message);
        Assert.Equal(3, receiver.Events.Count);
    }

    [Fact]
    public async Task SendAsync_WrongToken_ThrowsClearMessageWithoutTheToken()
    {
        const string wrong = "99999999-8888-7777-6666-000000000000";
        await using var receiver = await HecReceiver.StartAsync(Token);
        await using var sender = Sender(Target(receiver, token: wrong));

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.Equal("HEC refused the token (403: Invalid token).", error.Message);
        Assert.DoesNotContain(wrong, error.ToString());
        Assert.DoesNotContain(Token, error.ToString());
        Assert.Null(error.RetryAfter);
        Assert.Empty(receiver.Events);
    }

    [Fact]
    public async Task SendAsync_SelfSignedServerWithoutTrustedCa_RefusesTheCertificate()
    {
        await using var receiver = await HecReceiver.StartAsync(Token);
        var target = Target(receiver);
        target.TrustedCaPem = "";
        await using var sender = Sender(target);

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.Contains("certificate is not trusted", error.Message);
        Assert.Equal(0, receiver.EventRequests);
    }

    [Fact]
    public async Task SendAsync_TrustedCaIsAnotherCertificate_RefusesTheServer()
    {
        await using var receiver = await HecReceiver.StartAsync(Token);
        using var other = LoopbackHttpsServer.CreateSelfSignedCertificate();
        var target = Target(receiver);
        target.TrustedCaPem = other.ExportCertificatePem();
        await using var sender = Sender(target);

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.Contains("certificate is not trusted", error.Message);
        Assert.Equal(0, receiver.EventRequests);
    }

    [Fact]
    public async Task SendAsync_SelfSignedServerWithItsCertificateAsTrustedCa_Delivers()
    {
        await using var receiver = await HecReceiver.StartAsync(Token);
        await using var sender = Sender(Target(receiver));

        await sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None);

        Assert.Single(receiver.Events);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8088")]
    [InlineData("not a url")]
    [InlineData("https://user:pw@splunk.example.test:8088")]
    public void Constructor_NotAnHttpsUrl_ThrowsClearMessage(string endpoint)
    {
        var target = new SiemTarget { Name = "hec", Type = SiemTargetType.SplunkHec, Endpoint = endpoint, Secret = Token, CreatedBy = "test" };

        var error = Assert.Throws<SiemDeliveryException>(() => new SplunkHecSender(target, new ExportJsonFormatter(), TimeProvider.System));

        Assert.StartsWith("The URL ", error.Message);
    }

    [Fact]
    public void Constructor_NoToken_ThrowsClearMessage()
    {
        var target = new SiemTarget { Name = "hec", Type = SiemTargetType.SplunkHec, Endpoint = "https://splunk.example.test:8088", CreatedBy = "test" };

        var error = Assert.Throws<SiemDeliveryException>(() => new SplunkHecSender(target, new ExportJsonFormatter(), TimeProvider.System));

        Assert.Equal("The HEC token is missing.", error.Message);
    }

    [Fact]
    public async Task SendAsync_HangingReceiver_ThrowsAfterTheRequestTimeout()
    {
        await using var receiver = await HecReceiver.StartAsync(Token);
        receiver.Hang = TimeSpan.FromMinutes(2);
        await using var sender = new SplunkHecSender(Target(receiver), new ExportJsonFormatter(), TimeProvider.System)
        {
            RequestTimeout = TimeSpan.FromMilliseconds(300),
        };

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.Equal("HEC did not answer within 0.3 s.", error.Message);
    }

    [Fact]
    public async Task SendAsync_ReceiverAnswersWithAHugeBody_ThrowsWithoutReadingIt()
    {
        await using var receiver = await HecReceiver.StartAsync(Token);
        receiver.OversizedAnswerBytes = 8 * 1024 * 1024;
        await using var sender = Sender(Target(receiver));

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.Equal("HEC: the answer is larger than 1 MiB, so it was not read.", error.Message);
    }

    [Fact]
    public async Task SendAsync_TrustedCertificateForAnotherHostName_RefusesTheServer()
    {
        using var certificate = LoopbackHttpsServer.CreateSelfSignedCertificate("siem.example.test", loopbackNames: false);
        await using var receiver = await HecReceiver.StartAsync(Token, certificate: certificate);
        await using var sender = Sender(Target(receiver));

        var error = await Assert.ThrowsAsync<SiemDeliveryException>(() => sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None));

        Assert.Contains("does not match the host name", error.Message);
        Assert.Equal(0, receiver.EventRequests);
    }

    [Fact]
    public async Task SendAsync_ClientCertificateConfigured_PresentsIt()
    {
        await using var receiver = await HecReceiver.StartAsync(Token, requestClientCertificate: true);
        using var client = LoopbackHttpsServer.CreateSelfSignedCertificate("coderaft-portal", loopbackNames: false);
        var target = Target(receiver);
        target.ClientCertificatePfx = Convert.ToBase64String(client.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12));
        await using var sender = Sender(target);

        await sender.SendAsync(SiemHttpTestData.Batch(1, 1), CancellationToken.None);

        Assert.Equal(client.Thumbprint, receiver.LastClientCertificate?.Thumbprint);
    }

    [Fact]
    public void Constructor_ClientCertificateNotPkcs12_ThrowsClearMessage()
    {
        var target = new SiemTarget
        {
            Name = "hec",
            Type = SiemTargetType.SplunkHec,
            Endpoint = "https://splunk.example.test:8088",
            Secret = Token,
            ClientCertificatePfx = Convert.ToBase64String("not a pfx"u8.ToArray()),
            CreatedBy = "test",
        };

        var error = Assert.Throws<SiemDeliveryException>(() => new SplunkHecSender(target, new ExportJsonFormatter(), TimeProvider.System));

        Assert.StartsWith("The client certificate is not a valid PKCS#12", error.Message);
    }
}
