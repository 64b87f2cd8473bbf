# Builds and runs ImapEvents. Used by docker-compose.yml.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ImapEvents.sln ./
COPY ImapEvents.Core/ImapEvents.Core.csproj ImapEvents.Core/packages.lock.json ImapEvents.Core/
COPY ImapEvents.Infrastructure/ImapEvents.Infrastructure.csproj ImapEvents.Infrastructure/packages.lock.json ImapEvents.Infrastructure/
COPY ImapEvents.Web/ImapEvents.Web.csproj ImapEvents.Web/packages.lock.json ImapEvents.Web/
RUN dotnet restore ImapEvents.Web/ImapEvents.Web.csproj
COPY .editorconfig ./
COPY ImapEvents.Core/ ImapEvents.Core/
COPY ImapEvents.Infrastructure/ ImapEvents.Infrastructure/
COPY ImapEvents.Web/ ImapEvents.Web/
RUN dotnet publish ImapEvents.Web/ImapEvents.Web.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://0.0.0.0:8080
EXPOSE 8080
# Log to File writes here (a volume in docker-compose.yml); the app user must own it.
ENV Actions__LogDirectory=/var/lib/imapevents/action-logs
RUN mkdir -p /var/lib/imapevents/action-logs && chown "$APP_UID" /var/lib/imapevents/action-logs
USER $APP_UID
ENTRYPOINT ["dotnet", "ImapEvents.Web.dll"]
