using System.Reflection;
using System.Runtime.Loader;

// Usage: dotnet ParameterSaliency.Launcher.dll <library folder> <assembly name> <type> <method> [arguments...]
// Calls the static method <type>.<method>(string[] arguments) of <assembly name>.dll from <library folder>
// and exits with the int it returns. Assemblies the method needs are resolved from the same folder, and so
// (by TorchSharp, beside its own assembly) are the native libraries.
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: ParameterSaliency.Launcher <library folder> <assembly name> <type> <method> [arguments...]");
    return 2;
}
string folder = Path.GetFullPath(args[0]);
AssemblyLoadContext.Default.Resolving += (context, name) =>
{
    string candidate = Path.Combine(folder, name.Name + ".dll");
    return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
};
var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(folder, args[1] + ".dll"));
var method = assembly.GetType(args[2], throwOnError: true)!.GetMethod(args[3], BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
    ?? throw new MissingMethodException(args[2], args[3]);
return (int)method.Invoke(null, [args[4..]])!;
