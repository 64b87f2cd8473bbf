using System.Text;
using ImapEvents.Core.Actions;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>Log to File: one line per firing, appended to a file directly inside the configured log directory.</summary>
public sealed class LogFileWriter(IOptions<ActionOptions> options)
{
    public async Task<SendResult> AppendAsync(RuleAction action, TemplateValues values, CancellationToken cancellationToken)
    {
        if (ActionValidation.FileNameProblem(action.FileName) is { } problem)
        {
            return SendResult.Failed(problem, permanent: true);
        }

        var directory = options.Value.ResolvedLogDirectory;
        var path = Path.GetFullPath(Path.Combine(directory, action.FileName!));
        if (!string.Equals(Path.GetDirectoryName(path), directory.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
        {
            return SendResult.Failed($"{action.FileName} is not inside the log directory {directory}.", permanent: true);
        }

        try
        {
            Directory.CreateDirectory(directory);
            if (new FileInfo(path).LinkTarget is not null)
            {
                return SendResult.Failed($"{path} is a symbolic link; Log to File only writes plain files inside {directory}.", permanent: true);
            }

            var line = EventTemplate.Render(string.IsNullOrWhiteSpace(action.Message) ? EventTemplate.DefaultMessage : action.Message, values)
                .ReplaceLineEndings(" ") + "\n";
            // One write in append mode: lines from several workers or instances never interleave.
            await using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.Asynchronous);
            await file.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
            return SendResult.Ok;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return SendResult.Failed($"Could not write {path}: {ex.Message}");
        }
    }
}
