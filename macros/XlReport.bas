Attribute VB_Name = "XlReport"
Option Explicit
' xl_report buttons: fill / check / freeze / send / help.
' ASCII only: the VBA project code page is 1252, Chinese text would turn into "?".
' Chinese captions live in the ribbon XML and the button VML; the help text is generated
' into the module XlReportText (ChrW codes) when the add-in is built.
'
' Configuration (xlwings GetConfig: sheet "xl_report.conf", then %USERPROFILE%\.xl_report\xl_report.conf):
'   SERVER_URL  e.g. http://10.1.2.3:8000  -> buttons call the county server (RunServerPython),
'               no Python needed on this PC; AUTH must then be "Bearer <token>".
'   (empty)     -> buttons call the local Python (RunPython, INTERPRETER_WIN / PYTHONPATH).

' Where our VBA lives: "book" when the report workbook itself carries it (.xlsm),
' else the add-in's file name. Python qualifies the macros it calls back with it.
Private Function XlReport_Host() As String
    If ThisWorkbook Is ActiveWorkbook Then
        XlReport_Host = "book"
    Else
        XlReport_Host = Replace(ThisWorkbook.Name, "'", "")
    End If
End Function

Public Sub XlReport_Run(button As String)
    Dim url As String
    url = Trim(GetConfig("SERVER_URL", ""))
    If url <> "" Then
        If Right(url, 1) = "/" Then url = Left(url, Len(url) - 1)
        RunServerPython url & "/xl-report/" & button & "?host=" & WebHelpers.UrlEncode(XlReport_Host())
    Else
        RunPython "import xl_report.excel as x; x." & button & "(host='" & XlReport_Host() & "')"
    End If
End Sub

Public Sub XlReport_Fill()
    XlReport_Run "fill"
End Sub

Public Sub XlReport_Check()
    XlReport_Run "check"
End Sub

Public Sub XlReport_Freeze()
    XlReport_Run "freeze"
End Sub

Public Sub XlReport_Send()
    XlReport_Run "send"
End Sub

Public Sub XlReport_Help()
    MsgBox XlReportText.HelpText() & vbLf & vbLf & "xlwings " & XLWINGS_VERSION, vbInformation, XlReportText.TitleText()
End Sub

' Ribbon callback (customUI onAction); the button's tag names the action.
Public Sub XlReport_OnRibbon(control As IRibbonControl)
    Select Case control.Tag
        Case "fill": XlReport_Fill
        Case "check": XlReport_Check
        Case "freeze": XlReport_Freeze
        Case "send": XlReport_Send
        Case Else: XlReport_Help
    End Select
End Sub

' Called back by Python (runMacro): lock every cell, protect every sheet and the structure.
Public Sub XlReport_Protect(wb As Workbook, pw As String)
    Dim ws As Worksheet
    For Each ws In wb.Worksheets
        ws.Unprotect Password:=pw
        ws.Cells.Locked = True
        ws.Protect Password:=pw, DrawingObjects:=True, Contents:=True, Scenarios:=True
    Next ws
    wb.Protect Password:=pw, Structure:=True
End Sub

' Called back by Python (runMacro): one custom document property (kind b / i / s),
' the same properties the command line's freeze stores, so "xl-report verify" accepts the saved book.
Public Sub XlReport_SetProp(wb As Workbook, propName As String, kind As String, propValue As String)
    On Error Resume Next
    wb.CustomDocumentProperties(propName).Delete
    On Error GoTo 0
    Select Case kind
        Case "b"
            wb.CustomDocumentProperties.Add Name:=propName, LinkToContent:=False, Type:=2, Value:=(propValue = "1")
        Case "i"
            wb.CustomDocumentProperties.Add Name:=propName, LinkToContent:=False, Type:=1, Value:=CLng(propValue)
        Case Else
            wb.CustomDocumentProperties.Add Name:=propName, LinkToContent:=False, Type:=4, Value:=propValue
    End Select
End Sub

' Smoke test hook (LibreOffice on CI).
Public Function XlReport_Ping() As String
    XlReport_Ping = "pong " & ThisWorkbook.Worksheets.Count
End Function
