using CodeRaft.Admin.Cli;
using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Delivery;
using CodeRaft.Admin.Features.Siem.Management;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.Features.Siem.Delivery;
using CodeRaft.Admin.Tests.Features.Siem.Management;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Cli;

/// <summary>
/// <c>siem test</c> in process, with a recording sender factory: the CLI has no delivery engine, so it builds the
/// target's sender and sends the synthetic test record itself; a refused send exits 1 with the reason.
/// </summary>
public sealed class SiemTestCommandTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-siem-cli-test");
    private readonly FakeSenderFactory _senders = new();
    private TestStore _store = null!;

    public async Task InitializeAsync() => _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(bool withSenders, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        IServiceProvider services = withSenders ? new WithSenders(_store.Services, _senders) : _store.Services;
        var siem = SiemCommands.Create(_ => Task.FromResult<(IServiceProvider, IAsyncDisposable)>((services, new Nothing())));
        var code = await CliApp.RunAsync(["siem", .. args], output, error, [siem]);
        return (code, output.ToString(), error.ToString());
    }

    private async Task<Guid> AddAsync()
    {
        var result = await _store.Get<SiemManagementCore>().AddAsync(UserOperator.HostCli, SiemTargetInputValidatorTests.Syslog());
        Assert.True(result.Succeeded, result.Message);
        return result.Id!.Value;
    }

    [Fact]
    public async Task Test_Accepted_PrintsOkAndSendsTheSyntheticRecordOnly()
    {
        var id = await AddAsync();

        var (code, output, error) = await RunAsync(true, "test", "--id", id.ToString());

        Assert.True(code == 0, error);
        Assert.StartsWith("OK: ", output, StringComparison.Ordinal);
        var record = Assert.Single(_senders.Of(id));
        Assert.Equal((0L, SiemTestEvent.Action), (record.Sequence, record.Entry!.Action));
    }

    [Fact]
    public async Task Test_Refused_ExitsOneWithTheReason()
    {
        var id = await AddAsync();
        _senders.Behavior[id] = (_, _) => throw new SiemDeliveryException("Connection refused by 127.0.0.1:6514.");

        var (code, output, error) = await RunAsync(true, "test", "--id", id.ToString());

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.StartsWith("FAILED: ", error, StringComparison.Ordinal);
        Assert.Contains("Connection refused", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_NoSendersRegistered_ExitsTwo()
    {
        var id = await AddAsync();

        var (code, _, error) = await RunAsync(false, "test", "--id", id.ToString());

        if (_store.Services.GetService(typeof(ISiemSenderFactory)) is null)
        {
            Assert.Equal(2, code);
            Assert.Contains("no SIEM senders", error, StringComparison.Ordinal);
        }
    }

    private sealed class WithSenders(IServiceProvider inner, ISiemSenderFactory senders) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(ISiemSenderFactory) ? senders : inner.GetService(serviceType);
    }

    private sealed class Nothing : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
