@echo off
rem Starts the central window server in the foreground on Windows. Stop it with Ctrl-C; as a Windows service, run it under a
rem service wrapper such as WinSW or NSSM (see docs\operations.md), which stops it the same way.
rem
rem   central-server.cmd [--config FILE] [--check-config]
rem
rem Without --config it reads config\application.properties beside bin\. JAVA_HOME or java on PATH (17 or later);
rem JAVA_OPTS for JVM options (default -Xmx512m). With WINDOW_LOG_DIR set, the log goes to the rotating file
rem %WINDOW_LOG_DIR%\central-server.log (config\log4j2-file.xml) instead of the console.
setlocal
set "APP_HOME=%~dp0.."
if defined JAVA_HOME (set "JAVA=%JAVA_HOME%\bin\java.exe") else (set "JAVA=java")
if not defined JAVA_OPTS set "JAVA_OPTS=-Xmx512m"
set "LOG_OPTS="
if defined WINDOW_LOG_DIR set "LOG_OPTS=-Dlog4j2.configurationFile="%APP_HOME%\config\log4j2-file.xml" -Dwindow.log.dir="%WINDOW_LOG_DIR%" -Dwindow.log.name=central-server"
set "CONFIG_ARGS=--config "%APP_HOME%\config\application.properties""
echo %* | findstr /C:"--config" >nul && set "CONFIG_ARGS="
rem NOTE: this script has not been run on Windows by the project's tests; check it on the target version first.
"%JAVA%" %JAVA_OPTS% %LOG_OPTS% -Dfile.encoding=UTF-8 -cp "%APP_HOME%\lib\*" jp.kouiki.window.central.CentralServer %CONFIG_ARGS% %*
exit /b %ERRORLEVEL%
