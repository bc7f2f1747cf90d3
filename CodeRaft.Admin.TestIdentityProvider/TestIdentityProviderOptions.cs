using Microsoft.Extensions.Logging;

namespace CodeRaft.Admin.TestIdentityProvider;

/// <summary>Which real-world provider the test identity provider imitates.</summary>
public enum TestIdentityProviderShape
{
    /// <summary>
    /// A plain OpenID Connect provider on <c>http://127.0.0.1:{port}/</c>: issuer = base address, discovery at
    /// <c>/.well-known/openid-configuration</c>, endpoints under <c>/connect/</c>.
    /// </summary>
    Generic,

    /// <summary>
    /// Microsoft Entra ID's v2.0 layout on <c>https://localhost:{port}/</c> with a self-signed certificate: issuer
    /// <c>https://localhost:{port}/{tenantId}/v2.0</c>, endpoints under <c>/{tenantId}/oauth2/v2.0/</c>, and
    /// <c>tid</c>, <c>oid</c>, <c>ver</c> in every token.
    /// </summary>
    Entra,
}

public sealed class TestIdentityProviderOptions
{
    public TestIdentityProviderShape Shape { get; set; } = TestIdentityProviderShape.Generic;

    /// <summary>The Entra tenant id (directory id) in the paths, the issuer and the <c>tid</c> claim.</summary>
    public string TenantId { get; set; } = "8f5a3c1e-2b4d-4e6f-9a0b-1c2d3e4f5a6b";

    /// <summary>The users on the login page; more can be added with <see cref="TestIdentityProvider.AddUser"/>.</summary>
    public IList<TestUser> Users { get; } = [];

    /// <summary>Clients registered at start; more can be added after start with <see cref="TestIdentityProvider.RegisterClientAsync(TestClientRegistration, CancellationToken)"/>.</summary>
    public IList<TestClientRegistration> Clients { get; } = [];

    /// <summary>Where the provider logs (OpenIddict explains every rejected request at Information level). Silent by default.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }
}
