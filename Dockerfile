# CodeRaft.Admin — container image
#
#   docker build -t coderaft-admin .                 (machine that reaches mcr.microsoft.com)
#   scripts/container/build.sh                       (offline build machine: local stand-in base images)
#
# Run-time contract (see docs/container.md):
#   - runs as uid/gid 10001 (no login shell), never as root
#   - root filesystem read-only; only /data (volume) and /tmp (tmpfs) are written
#   - master secret from env CODERAFT_MASTER_SECRET or a file named by Encryption__MasterSecretFile
#     (e.g. the Docker secret /run/secrets/coderaft_master_secret); no secret is baked into this image
#   - listens on http://+:8080 behind the reverse proxy; health: GET /healthz

# ---------------------------------------------------------------------------------------------- build stage
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# Optional, build stage only: `--build-arg NUGET_CERT_REVOCATION_MODE=offline` where package-signature
# revocation servers are unreachable (as on the offline build machine). Not part of the final image.
ARG NUGET_CERT_REVOCATION_MODE
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    NUGET_XMLDOC_MODE=skip
WORKDIR /src

# Restore first, from the files that decide the package graph only, so that the layer is reused
# while only source files change.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY CodeRaft.Admin/CodeRaft.Admin.csproj CodeRaft.Admin/
RUN dotnet restore CodeRaft.Admin/CodeRaft.Admin.csproj

# Everything else the .dockerignore lets through (sources, .editorconfig, any Directory.Build.targets or
# NuGet.Config added later). publish restores again incrementally (a no-op when nothing changed), so a file
# added to the restore inputs later cannot silently be missed.
COPY . .
# --disable-build-servers: no compiler/MSBuild server outlives the step (with `podman build --isolation=chroot`
# such a server would otherwise keep running on the build host).
RUN dotnet publish CodeRaft.Admin/CodeRaft.Admin.csproj -c Release -o /app /p:UseAppHost=false \
        --disable-build-servers \
 && rm -f /app/appsettings.Development.json

# -------------------------------------------------------------------------------------------- runtime stage
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final

# Dedicated non-root account: fixed uid/gid 10001, no home directory, no login shell.
# /data is the only persistent writable place; it belongs to that account and nobody else may read it.
RUN groupadd --gid 10001 coderaft \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        --no-log-init coderaft \
 && mkdir -p /data \
 && chown 10001:10001 /data \
 && chmod 0700 /data

ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_HTTP_PORTS= \
    Storage__DataDirectory=/data \
    ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1

WORKDIR /app
# Application files stay owned by root and are not writable by the app account.
COPY --from=build --chown=0:0 /app/ ./

USER 10001:10001
VOLUME /data
EXPOSE 8080

# No curl in the aspnet image: bash's /dev/tcp speaks HTTP/1.1 to the liveness endpoint.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r -t 4 status <&3 && [[ $status == 'HTTP/1.1 200'* ]]"]

ENTRYPOINT ["dotnet", "CodeRaft.Admin.dll"]
