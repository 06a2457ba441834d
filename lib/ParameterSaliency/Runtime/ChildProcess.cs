using System.Diagnostics;
using System.Security.Cryptography;
using ParameterSaliency.Serialization;

namespace ParameterSaliency.Runtime;

/// <summary>
/// Runs a static method of this library, <c>int Method(string[] arguments)</c>, in a fresh .NET
/// process with an environment of its own: for settings that native libraries read only once per
/// process, such as oneDNN's ISA cap. The launcher travels inside the library as a resource and is
/// written once to the user cache (<see cref="UserCache"/>); the child loads this library and
/// its dependencies (TorchSharp, ...) from the folders they were loaded from here: one output folder
/// for a project, several NuGet package folders for a notebook's <c>#r "nuget: ..."</c>.
/// </summary>
internal static class ChildProcess
{
    /// <summary>Exit code, standard output and standard error of one run.</summary>
    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>Runs <paramref name="type"/>.<paramref name="method"/>(<paramref name="arguments"/>) in a child process; throws when it cannot be started or does not finish in <paramref name="timeout"/>.</summary>
    public static Result Run(Type type, string method, string[] arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        string libraryFolder = Path.GetDirectoryName(type.Assembly.Location) is { Length: > 0 } folder ? folder
            : throw new InvalidOperationException("The library was not loaded from a file, so no child process can load it.");
        string folders = string.Join(Path.PathSeparator, new[] { libraryFolder }.Concat(DependencyFolders()).Distinct());
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { Launcher(), folders, type.Assembly.GetName().Name!, type.FullName!, method }.Concat(arguments))
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"A child process ({type.Name}.{method}) did not finish in {timeout.TotalSeconds:N0} s.");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The folders of the assemblies loaded in this process that are not part of the .NET runtime.</summary>
    static IEnumerable<string> DependencyFolders()
    {
        string runtime = Path.GetFullPath(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory());
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.IsDynamic || string.IsNullOrEmpty(assembly.Location)) continue;
            string? folder = Path.GetDirectoryName(Path.GetFullPath(assembly.Location));
            if (folder is not null && !folder.StartsWith(runtime.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal)) yield return folder;
        }
    }

    /// <summary>The launcher assembly with its runtime configuration, in the user cache under a name that is its content hash.</summary>
    static string Launcher()
    {
        using var resource = typeof(ChildProcess).Assembly.GetManifestResourceStream("ParameterSaliency.Launcher.dll")
            ?? throw new InvalidOperationException("The library was built without its embedded launcher.");
        using var buffer = new MemoryStream();
        resource.CopyTo(buffer);
        byte[] bytes = buffer.ToArray();
        string folder = Path.Combine(UserCache.Folder, "launcher", Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]);
        string assembly = Path.Combine(folder, "ParameterSaliency.Launcher.dll");
        string configuration = Path.Combine(folder, "ParameterSaliency.Launcher.runtimeconfig.json");
        if (!File.Exists(configuration))
        {
            AtomicFile.Write(assembly, stream => stream.Write(bytes));
            int major = Environment.Version.Major;
            AtomicFile.WriteAllText(configuration,
                "{\"runtimeOptions\":{\"tfm\":\"net" + major + ".0\",\"rollForward\":\"LatestMajor\"," +
                "\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"" + major + ".0.0\"}}}");
        }
        return assembly;
    }

    /// <summary>The <c>dotnet</c> host that runs this process's runtime.</summary>
    static string DotnetHost()
    {
        string executable = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Path.GetFileName(Environment.ProcessPath) == executable) return Environment.ProcessPath!;
        // <root>/shared/Microsoft.NETCore.App/<version>/ holds the runtime; the host is <root>/dotnet.
        string runtime = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
        string fromRuntime = Path.GetFullPath(Path.Combine(runtime, "..", "..", "..", executable));
        if (File.Exists(fromRuntime)) return fromRuntime;
        foreach (string? root in new[] { Environment.GetEnvironmentVariable("DOTNET_ROOT"), Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { } host ? Path.GetDirectoryName(host) : null })
            if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, executable))) return Path.Combine(root, executable);
        return executable; // from PATH
    }
}
