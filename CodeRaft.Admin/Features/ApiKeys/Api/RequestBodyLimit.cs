using Microsoft.AspNetCore.Http.Metadata;

namespace CodeRaft.Admin.Features.ApiKeys.Api;

/// <summary>
/// An endpoint's request body limit. Routing applies it to the request (IHttpMaxRequestBodySizeFeature) before the
/// pipeline's RefuseOversizedBodies compares a declared Content-Length with it; Kestrel enforces it while a chunked
/// body is read. The last one wins, so an endpoint's own limit overrides its group's.
/// </summary>
public sealed class RequestBodyLimit(long maxBytes) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize { get; } = maxBytes;
}
