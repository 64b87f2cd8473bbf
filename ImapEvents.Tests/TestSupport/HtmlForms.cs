using System.Net;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// Submits the app's server-rendered forms the way a browser does: fields found by their visible
/// label, hidden fields (antiforgery, form name) carried over.
/// </summary>
public static class HtmlForms
{
    public static HttpClient CreateBrowserLikeClient(this ImapEventsApp app)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        return client;
    }

    public static async Task<IHtmlDocument> GetPageAsync(this HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Fills the page's form by label text and posts it; returns the raw response (redirects not followed).</summary>
    public static async Task<HttpResponseMessage> SubmitFormAsync(
        this HttpClient client, string url, IReadOnlyDictionary<string, string> valuesByLabel)
    {
        var page = await client.GetPageAsync(url);
        var form = page.QuerySelectorAll<IHtmlFormElement>("form").FirstOrDefault(f => f.Method.Equals("post", StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"{url} has no form");

        var fields = new List<KeyValuePair<string, string>>();
        foreach (var hidden in form.QuerySelectorAll<IHtmlInputElement>("input[type=hidden]"))
        {
            fields.Add(new(hidden.Name!, hidden.Value));
        }

        foreach (var (label, value) in valuesByLabel)
        {
            var labelElement = form.QuerySelectorAll<IHtmlLabelElement>("label").FirstOrDefault(l => l.TextContent.Trim() == label)
                ?? throw new InvalidOperationException($"The form at {url} has no field labelled '{label}'");
            var input = labelElement.Control as IHtmlInputElement
                ?? throw new InvalidOperationException($"The label '{label}' at {url} is not associated with an input");
            fields.Add(new(input.Name!, value));
        }

        var action = string.IsNullOrEmpty(form.GetAttribute("action")) ? url : form.GetAttribute("action")!;
        return await client.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    /// <summary>Where a redirect points, as a path and query on this app; null when it points at another host.</summary>
    public static string? RedirectPath(this HttpResponseMessage response)
    {
        var location = response.Headers.Location;
        if (location is null)
        {
            return null;
        }

        if (!location.IsAbsoluteUri)
        {
            return location.OriginalString.TrimStart('~');
        }

        return location.Host == "localhost" ? location.PathAndQuery : null;
    }

    public static Task<HttpResponseMessage> SignInAsync(this HttpClient client, string email, string password) =>
        client.SubmitFormAsync("/Account/Login", new Dictionary<string, string> { ["Email"] = email, ["Password"] = password });

    public static async Task<HttpClient> SignedInClientAsync(this ImapEventsApp app, string email, string password)
    {
        var client = app.CreateBrowserLikeClient();
        var response = await client.SignInAsync(email, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Sign-in of {email} answered {(int)response.StatusCode}");
        Assert.DoesNotContain("/Account/", response.RedirectPath() ?? "", StringComparison.Ordinal);
        return client;
    }
}
